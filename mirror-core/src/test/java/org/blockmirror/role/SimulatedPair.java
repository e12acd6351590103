package org.blockmirror.role;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.blockmirror.role.GenerationState.Flag;
import org.blockmirror.role.HandshakeDecision.ChangedBlocks;
import org.blockmirror.role.HandshakeDecision.Direction;

/**
 * Two units of one volume, each with a real {@link RoleStateFile}, a tiny volume (an array of
 * block values), a journal of writes the peer has not acknowledged, and a dirty map (blocks
 * changed since its agreed generation). The link and the administrator are method calls. Resyncs
 * copy exactly the blocks a {@link HandshakeDecision} names, so a wrong "since" or direction shows
 * as different volumes; every resync also checks that no host write is overwritten unless the
 * administrator chose so.
 */
final class SimulatedPair implements AutoCloseable {

    static final int BLOCKS = 16;
    static final String VOLUME = "vol0";

    final Unit a;
    final Unit b;
    private boolean linked;
    /** Linked, and the handshake let the primary stream its journal. */
    private boolean streaming;
    /** The blocks the last resync copied. */
    Set<Integer> lastCopied = Set.of();
    private int interruptAfter = -1;

    SimulatedPair(Path dir, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        a = new Unit("A", dir.resolve("A/role-state"), random.split());
        b = new Unit("B", dir.resolve("B/role-state"), random.split());
    }

    final class Unit {
        final String name;
        final Path stateFile;
        final SplittableRandom random;
        RoleStateFile file;
        WriteToken token;
        final long[] blocks = new long[BLOCKS];
        /** Blocks changed since the agreed generation (empty while there is none). */
        final Set<Integer> dirty = new TreeSet<>();
        /** Journal records not yet acknowledged by the peer (block numbers, in order). */
        final List<Integer> journal = new ArrayList<>();
        /** Blocks this unit's host wrote that the peer does not have: what a resync must not lose unasked. */
        final Set<Integer> unshared = new TreeSet<>();
        private long writes;

        Unit(String name, Path stateFile, SplittableRandom random) throws IOException {
            this.name = name;
            this.stateFile = stateFile;
            this.random = random;
            this.file = RoleStateFile.create(stateFile, VOLUME, GenerationState.fresh());
            this.token = new WriteToken(file.state());
        }

        GenerationState state() {
            return file.state();
        }

        Unit peer() {
            return this == a ? b : a;
        }

        void transition(UnaryOperator<GenerationState> t) throws IOException {
            GenerationState before = state();
            GenerationState after = file.update(t);
            if (before.agreed().isNone() && !after.agreed().isNone()) {
                // a dirty map starts: it must include what the journal holds and the peer lacks
                dirty.addAll(journal);
            } else if (after.agreed().isNone()) {
                dirty.clear();
            }
            token.update(after);
        }

        /** A host write; returns false if the unit refuses it (no write token). */
        boolean write(int block) throws IOException {
            if (!token.mayAcceptWrites()) {
                return false;
            }
            transition(s -> s.beforeHostWrite(random));
            blocks[block] = (name.charAt(0) * 1_000_000L) + ++writes;
            journal.add(block);
            unshared.add(block);
            if (state().hasChangesSinceAgreement()) {
                dirty.add(block);
            }
            return true;
        }

        /** The daemon restarts: everything role-related is read back from the file. */
        void restart() throws IOException {
            file.close();
            file = RoleStateFile.open(stateFile, VOLUME);
            token = new WriteToken(file.state());
        }

        void promote() throws IOException {
            GenerationState peerState = peer().state();
            transition(s -> s.promote(peerState, random));
        }

        void promoteForce() throws IOException {
            transition(s -> s.promoteForce(random));
        }

        void demote() throws IOException {
            boolean unacknowledged = !journal.isEmpty();
            transition(s -> s.demote(unacknowledged, random));
        }

        void resolve(Resolution r) throws IOException {
            boolean unacknowledged = !journal.isEmpty();
            transition(s -> s.resolve(r, unacknowledged, random));
        }

        @Override
        public String toString() {
            return name + "[" + state() + "]";
        }
    }

    boolean linked() {
        return linked;
    }

    boolean streaming() {
        return streaming;
    }

    /** The next resync loses the link after copying {@code blocks} blocks. */
    void interruptNextResyncAfter(int blocks) {
        interruptAfter = blocks;
    }

    /** The primary's journal reaches the peer and is acknowledged (only while linked and streaming). */
    void deliver() {
        for (Unit u : List.of(a, b)) {
            if (streaming && u.state().isPrimary() && !u.journal.isEmpty()) {
                for (int block : u.journal) {
                    u.peer().blocks[block] = u.blocks[block];
                    u.unshared.remove(block);
                }
                u.journal.clear();
            }
        }
    }

    /** The link goes down: heartbeats time out on both sides. */
    void cut() throws IOException {
        linked = false;
        streaming = false;
        for (Unit u : List.of(a, b)) {
            boolean unacknowledged = !u.journal.isEmpty();
            u.transition(s -> s.linkLost(unacknowledged, u.random));
        }
    }

    /**
     * The link comes back: both daemons restart from their files (the worst case), exchange states,
     * decide from both sides, and carry the decision out. Returns A's view of the decision.
     */
    HandshakeDecision connect() throws IOException {
        a.restart();
        b.restart();
        linked = true;
        streaming = false;
        GenerationState sa = a.state();
        GenerationState sb = b.state();
        HandshakeDecision d = HandshakeRules.decide(sa, sb);
        HandshakeDecision fromB = HandshakeRules.decide(sb, sa);
        assertEquals(d.since(), fromB.since(), "both sides agree on the decision");
        assertEquals(d.kind().isRefusal(), fromB.kind().isRefusal());
        a.transition(s -> s.observePeer(sb));
        b.transition(s -> s.observePeer(sa));
        if (d.kind().isRefusal()) {
            // no mirroring: for generations this is a lost peer, so a primary's next write diverges
            for (Unit u : List.of(a, b)) {
                boolean unacknowledged = !u.journal.isEmpty();
                u.transition(s -> s.linkLost(unacknowledged, u.random));
            }
        } else if (d.kind() == HandshakeDecision.Kind.IN_SYNC_STREAM) {
            a.transition(GenerationState::inSyncWithPeer);
            b.transition(GenerationState::inSyncWithPeer);
            streaming = true;
            deliver();
            assertArrayEquals(a.blocks, b.blocks, "same generation means same data");
        } else if (d.direction() != null) {
            resync(d, d.direction() == Direction.LOCAL_TO_PEER ? a : b, sa, sb);
        }
        return d;
    }

    private void resync(HandshakeDecision d, Unit source, GenerationState sa, GenerationState sb) throws IOException {
        Unit target = source.peer();
        GenerationState sourceState = source == a ? sa : sb;
        GenerationState targetState = source == a ? sb : sa;
        boolean chosen = targetState.has(Flag.DISCARD_LOCAL) || sourceState.has(Flag.KEEP_LOCAL);
        assertTrue(chosen || target.unshared.isEmpty(), "resync " + d + " would overwrite host writes "
                + target.unshared + " on " + target + " that nobody chose to discard");
        target.transition(GenerationState::resyncStarted);
        Set<Integer> copy = new TreeSet<>();
        copy.addAll(blocksOf(d, source, sourceState));
        copy.addAll(blocksOf(d, target, targetState));
        lastCopied = copy;
        int copied = 0;
        for (int block : copy) {
            if (copied++ == interruptAfter) {
                interruptAfter = -1;
                cut();
                return;
            }
            target.blocks[block] = source.blocks[block];
        }
        target.transition(s -> s.syncedFrom(sourceState));
        source.transition(GenerationState::inSyncWithPeer);
        for (Unit u : List.of(source, target)) {
            u.journal.clear(); // everything the journals held was covered by the copied blocks
            u.unshared.clear();
        }
        assertArrayEquals(source.blocks, target.blocks, "after " + d);
        streaming = true;
    }

    private static Set<Integer> blocksOf(HandshakeDecision d, Unit u, GenerationState s) {
        ChangedBlocks c = d.changedBlocksOf(s);
        return switch (c) {
            case NOTHING -> Set.of();
            case SINCE_AGREED -> Set.copyOf(u.dirty);
            case WHOLE_VOLUME -> {
                Set<Integer> all = new TreeSet<>();
                for (int i = 0; i < BLOCKS; i++) {
                    all.add(i);
                }
                yield all;
            }
        };
    }

    @Override
    public void close() throws IOException {
        a.file.close();
        b.file.close();
    }
}
