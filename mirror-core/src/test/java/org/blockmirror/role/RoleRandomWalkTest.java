package org.blockmirror.role;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.blockmirror.role.GenerationState.Flag;
import org.blockmirror.role.HandshakeDecision.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random sequences of host writes, link cuts and returns, promotions, demotions and
 * administrator choices on two simulated units. Besides the checks {@link SimulatedPair} makes on
 * every handshake (no host write overwritten unless the administrator chose so; volumes equal
 * after every resync and stream start), after every step: two units at the same generation hold
 * the same data once their journals are delivered, and while mirroring runs at most one unit
 * accepts host writes.
 */
class RoleRandomWalkTest {

    @TempDir
    Path dir;

    private final EnumSet<Kind> decisions = EnumSet.noneOf(Kind.class);

    @Test
    void invariantsHoldOnRandomWalks() throws Exception {
        for (long seed = 1; seed <= 30; seed++) {
            Path d = Files.createDirectory(dir.resolve("walk" + seed));
            try (SimulatedPair pair = new SimulatedPair(d, seed)) {
                walk(pair, new SplittableRandom(seed * 7919), 300, "seed " + seed);
            }
        }
        assertTrue(decisions.containsAll(EnumSet.allOf(Kind.class)), "the walks reach every decision: " + decisions);
    }

    private void walk(SimulatedPair pair, SplittableRandom r, int steps, String name) throws Exception {
        StringBuilder trace = new StringBuilder(name);
        for (int i = 0; i < steps; i++) {
            SimulatedPair.Unit u = r.nextBoolean() ? pair.a : pair.b;
            int op = r.nextInt(100);
            String what;
            try {
                if (op < 40) {
                    what = u.name + " write " + u.write(r.nextInt(SimulatedPair.BLOCKS));
                } else if (op < 55) {
                    what = "deliver";
                    pair.deliver();
                } else if (op < 63) {
                    what = "cut";
                    if (pair.linked()) {
                        pair.cut();
                    }
                } else if (op < 75) {
                    what = "connect";
                    if (!pair.linked()) {
                        Kind k = pair.connect().kind();
                        decisions.add(k);
                        what += " " + k;
                    }
                } else if (op < 82) {
                    what = u.name + " promote";
                    if (pair.streaming()) {
                        u.promote();
                    }
                } else if (op < 88) {
                    what = u.name + " promote --force";
                    if (!pair.linked()) {
                        u.promoteForce();
                    }
                } else if (op < 95) {
                    what = u.name + " demote";
                    if (u.state().isPrimary()) {
                        u.demote();
                    }
                } else {
                    Resolution res = r.nextBoolean() ? Resolution.KEEP_LOCAL : Resolution.KEEP_PEER;
                    what = u.name + " resolve " + res;
                    u.resolve(res);
                }
            } catch (RoleTransitionException refused) {
                what = "refused: " + refused.getMessage();
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + " at step " + i + " (" + op + ", " + u.name + "):" + trace, e);
            }
            trace.append("\n  ").append(i).append(' ').append(what).append(" -> ").append(pair.a).append(" / ")
                    .append(pair.b);
            checkInvariants(pair, trace);
        }
    }

    private static void checkInvariants(SimulatedPair pair, StringBuilder trace) {
        GenerationState a = pair.a.state();
        GenerationState b = pair.b.state();
        if (a.current().equals(b.current()) && !a.current().isNone() && !a.has(Flag.INCONSISTENT)
                && !b.has(Flag.INCONSISTENT) && pair.a.journal.isEmpty() && pair.b.journal.isEmpty()) {
            assertArrayEquals(pair.a.blocks, pair.b.blocks, () -> "same generation, different data:" + trace);
        }
        if (pair.streaming()) {
            assertFalse(pair.a.token.mayAcceptWrites() && pair.b.token.mayAcceptWrites(),
                    () -> "two writers while mirroring:" + trace);
        }
    }
}
