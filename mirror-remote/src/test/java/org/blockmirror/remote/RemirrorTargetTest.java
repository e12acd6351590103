package org.blockmirror.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.protocol.AckMode;
import org.blockmirror.protocol.BlockSums;
import org.blockmirror.protocol.ChecksumDiff;
import org.blockmirror.protocol.ChecksumRange;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.FrameType;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.RangeSums;
import org.blockmirror.protocol.RemirrorAck;
import org.blockmirror.protocol.RemirrorBegin;
import org.blockmirror.protocol.RemirrorData;
import org.blockmirror.protocol.RemirrorDone;
import org.blockmirror.protocol.RemirrorDoneAck;
import org.blockmirror.protocol.RemirrorKind;
import org.blockmirror.protocol.RemirrorReady;
import org.blockmirror.protocol.RemirrorStatus;
import org.blockmirror.protocol.RemoteSyncState;
import org.blockmirror.remirror.BlockChecksums;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote's side of remirror against a real daemon, driven frame by frame over a socket:
 * checksums answered from the volume, data written and acknowledged, the inconsistent flag
 * durable from the first write to REMIRROR_DONE, the pre-hook run (and obeyed) before it.
 */
class RemirrorTargetTest {

    private static final String VOLUME_ID = "vol-r";
    private static final int BS = 4096;
    private static final long VOLUME_BYTES = 64 * BS;
    private static final long TIMEOUT_MS = 5_000;

    @TempDir
    Path dir;
    private RemoteDaemon daemon;
    private InetSocketAddress server;
    private final UUID unit = new UUID(7, 7);
    private long session = 1;

    private void start(String extraConfig) throws Exception {
        daemon = LoneRemote.start(dir, VOLUME_ID, VOLUME_BYTES, BS, extraConfig);
        server = daemon.listenAddress();
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private RawPeer connect() throws Exception {
        RawPeer peer = new RawPeer(server);
        peer.send(new Hello(FrameHeader.VERSION, unit, VOLUME_ID, VOLUME_BYTES, BS, 0, session++, 0, 1, AckMode.ASYNC));
        return peer;
    }

    private static byte[] block(long seed) {
        byte[] b = new byte[BS];
        new Random(seed).nextBytes(b);
        return b;
    }

    private byte[] remoteBlock(long lba) throws Exception {
        try (FileChannel ch = FileChannel.open(dir.resolve("remote.vol"), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(BS);
            ch.read(b, lba * BS);
            return b.array();
        }
    }

    private void writeRemoteBlock(long lba, byte[] data) throws Exception {
        try (FileChannel ch = FileChannel.open(dir.resolve("remote.vol"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(data), lba * BS);
        }
    }

    private static int[] crcs(byte[]... blocks) {
        ByteBuffer all = ByteBuffer.allocate(blocks.length * BS);
        for (byte[] b : blocks) {
            all.put(b);
        }
        return BlockChecksums.ofBlocks(all.flip(), BS);
    }

    @Test
    void aNewRemoteIsNeverSyncedAndARemirrorMakesItConsistent() throws Exception {
        start("");
        byte[] zero = new byte[BS];
        byte[] a = block(1);
        writeRemoteBlock(9, a); // the remote already holds block 9
        try (RawPeer peer = connect()) {
            HelloOk ok = assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
            assertEquals(RemoteSyncState.NEVER_SYNCED, ok.syncState());
            assertEquals(0, ok.appliedSeq());

            peer.send(new RemirrorBegin(RemirrorKind.INITIAL_SYNC, 2, 8L * BS));
            assertEquals(new RemirrorReady(RemoteSyncState.NEVER_SYNCED, 0), peer.receive(TIMEOUT_MS));
            // range 0..3 equal (zeros), range 8..11 with local block 9 = a (equal) and block 10 = b (differs)
            byte[] b = block(2);
            int equal = BlockChecksums.ofRange(crcs(zero, zero, zero, zero));
            int[] local = crcs(zero, a, b, zero);
            peer.send(new RangeSums(1, List.of(new ChecksumRange(0, 4, equal),
                    new ChecksumRange(8, 4, BlockChecksums.ofRange(local)))));
            BitSet second = new BitSet();
            second.set(1);
            assertEquals(ChecksumDiff.ranges(1, 2, second), peer.receive(TIMEOUT_MS));
            peer.send(new BlockSums(2, 8, local));
            BitSet third = new BitSet();
            third.set(2);
            assertEquals(ChecksumDiff.blocks(2, 4, third), peer.receive(TIMEOUT_MS));

            peer.send(RemirrorData.of(3, 10, 1, Unpooled.wrappedBuffer(b)));
            assertEquals(RemirrorAck.ok(3), peer.receive(TIMEOUT_MS));
            assertArrayEquals(b, remoteBlock(10));
            assertEquals(RemoteSyncState.INCONSISTENT, daemon.syncState(), "flagged from the first write");
            assertEquals("INCONSISTENT", daemon.status().remirror().syncState());
            assertEquals(1, daemon.status().remirror().blocksWritten());

            peer.send(new RemirrorDone(101, 100));
            assertEquals(new RemirrorDoneAck(RemirrorStatus.OK, RemoteSyncState.CONSISTENT, 100, ""),
                    peer.receive(TIMEOUT_MS));
        }
        assertEquals(100, daemon.appliedSeq(), "the journal stream continues at the resume seq");
        daemon.close();
        daemon = null;
        start("");
        assertEquals(RemoteSyncState.CONSISTENT, daemon.syncState(), "durable across a restart");
        assertEquals(100, daemon.appliedSeq());
    }

    @Test
    void anUnfinishedRemirrorLeavesTheCopyInconsistentAcrossARestart() throws Exception {
        start("");
        try (RawPeer peer = connect()) {
            assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
            peer.send(new RemirrorBegin(RemirrorKind.RESYNC, 1, BS));
            assertInstanceOf(RemirrorReady.class, peer.receive(TIMEOUT_MS));
            peer.send(RemirrorData.of(1, 3, 1, Unpooled.wrappedBuffer(block(3))));
            assertEquals(RemirrorAck.ok(1), peer.receive(TIMEOUT_MS));
        } // the session breaks before REMIRROR_DONE
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!daemon.status().alerts().stream().anyMatch(x -> x.kind() == AlertKind.REMOTE_INCONSISTENT)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(daemon.status().alerts().stream().anyMatch(x -> x.kind() == AlertKind.REMOTE_INCONSISTENT),
                "REMOTE_INCONSISTENT is raised while the copy is inconsistent");
        daemon.close();
        daemon = null;
        start("");
        try (RawPeer peer = connect()) {
            HelloOk ok = assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
            assertEquals(RemoteSyncState.INCONSISTENT, ok.syncState());
        }
    }

    private Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    /** A consistent remote: a new one made consistent by an empty remirror. */
    private void makeConsistent() throws Exception {
        try (RawPeer peer = connect()) {
            assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
            peer.send(new RemirrorBegin(RemirrorKind.INITIAL_SYNC, 0, 0));
            assertInstanceOf(RemirrorReady.class, peer.receive(TIMEOUT_MS));
            peer.send(new RemirrorDone(5, 4));
            RemirrorDoneAck done = assertInstanceOf(RemirrorDoneAck.class, peer.receive(TIMEOUT_MS));
            assertEquals(RemoteSyncState.CONSISTENT, done.syncState());
        }
    }

    @Test
    void aFailingPreHookRefusesTheRemirrorAndNothingIsWritten() throws Exception {
        Path hook = script("prehook", "echo snapshot failed: no space; exit 3");
        start("remirror.pre-hook = " + hook + "\n");
        makeConsistent();
        try (RawPeer peer = connect()) {
            assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
            peer.send(new RemirrorBegin(RemirrorKind.RESYNC, 1, BS));
            assertEquals(new RemirrorReady(RemoteSyncState.CONSISTENT, 4), peer.receive(TIMEOUT_MS));
            peer.send(RemirrorData.of(1, 3, 1, Unpooled.wrappedBuffer(block(3))));
            RemirrorAck ack = assertInstanceOf(RemirrorAck.class, peer.receive(TIMEOUT_MS));
            assertEquals(RemirrorStatus.HOOK_FAILED, ack.status());
            assertEquals("remirror refused: remirror.pre-hook " + hook + " failed with exit status 3; output: "
                    + "snapshot failed: no space; nothing was written, the copy is still consistent", ack.message());
            peer.send(RemirrorData.of(2, 4, 1, Unpooled.wrappedBuffer(block(4))));
            assertEquals(RemirrorStatus.HOOK_FAILED, assertInstanceOf(RemirrorAck.class, peer.receive(TIMEOUT_MS)).status());
        }
        assertArrayEquals(new byte[BS], remoteBlock(3), "nothing written");
        assertArrayEquals(new byte[BS], remoteBlock(4));
        assertEquals(RemoteSyncState.CONSISTENT, daemon.syncState());
        assertEquals(ackMessageOf(hook), daemon.status().remirror().refusedBecause());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (daemon.status().alerts().stream().noneMatch(x -> x.kind() == AlertKind.REPLICATION_ERROR)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(daemon.status().alerts().stream().anyMatch(x -> x.kind() == AlertKind.REPLICATION_ERROR
                && x.message().contains("remirror refused")), daemon.status().alerts().toString());
    }

    @Test
    void aResyncChosenByTheRoleExchangeRunsTheHookOnceAndMarksTheCopyInconsistentBeforeAnyBlock() throws Exception {
        Path out = dir.resolve("hook.out");
        Path hook = script("prehook", "echo \"$1 $BLOCKMIRROR_SYNC_STATE\" >> " + out);
        start("remirror.pre-hook = " + hook + "\n");
        assertEquals(RemoteSyncState.NEVER_SYNCED, daemon.syncState());
        assertNull(daemon.beginResync());
        // a never-synced copy of a unit with data of its own: the hook runs all the same
        assertEquals(List.of("REMIRROR_PRE NEVER_SYNCED"), Files.readAllLines(out));
        assertEquals(RemoteSyncState.INCONSISTENT, daemon.syncState());
        assertNull(daemon.beginResync(), "already inconsistent: nothing to protect, no hook");
        assertEquals(1, Files.readAllLines(out).size());
        daemon.close();
        daemon = null;
        start("remirror.pre-hook = " + hook + "\n");
        assertEquals(RemoteSyncState.INCONSISTENT, daemon.syncState(), "durable");
    }

    @Test
    void aFailingHookRefusesTheResyncAndLeavesTheCopyAsItWas() throws Exception {
        Path hook = script("prehook", "echo snapshot failed: no space; exit 3");
        start("remirror.pre-hook = " + hook + "\n");
        makeConsistent();
        assertEquals("the remirror pre-hook failed: remirror.pre-hook " + hook + " failed with exit status 3; output:"
                + " snapshot failed: no space; nothing was written", daemon.beginResync());
        assertEquals(RemoteSyncState.CONSISTENT, daemon.syncState());
    }

    private static String ackMessageOf(Path hook) {
        return "remirror refused: remirror.pre-hook " + hook + " failed with exit status 3; output: "
                + "snapshot failed: no space; nothing was written, the copy is still consistent";
    }

    @Test
    void thePreHookRunsOnceBeforeTheFirstWriteWithTheEventInItsArgumentsAndEnvironment() throws Exception {
        Path out = dir.resolve("hook.out");
        Path hook = script("prehook", "echo \"$1 $2 $4 $BLOCKMIRROR_EVENT $BLOCKMIRROR_SYNC_STATE\" >> " + out);
        start("remirror.pre-hook = " + hook + "\n");
        makeConsistent();
        assertFalse(Files.exists(out), "an empty remirror does not make the copy inconsistent: no hook");
        try (RawPeer peer = connect()) {
            assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
            peer.send(new RemirrorBegin(RemirrorKind.RESYNC, 1, 2L * BS));
            assertInstanceOf(RemirrorReady.class, peer.receive(TIMEOUT_MS));
            peer.send(RemirrorData.of(1, 3, 1, Unpooled.wrappedBuffer(block(3))));
            peer.send(RemirrorData.of(2, 4, 1, Unpooled.wrappedBuffer(block(4))));
            assertEquals(RemirrorAck.ok(1), peer.receive(TIMEOUT_MS));
            assertEquals(RemirrorAck.ok(2), peer.receive(TIMEOUT_MS));
        }
        assertEquals(List.of("REMIRROR_PRE " + VOLUME_ID + " 4 REMIRROR_PRE CONSISTENT"), Files.readAllLines(out));
        assertArrayEquals(block(4), remoteBlock(4));
    }

    @Test
    void badRemirrorDataIsRefusedWithAReason() throws Exception {
        start("");
        try (RawPeer peer = connect()) {
            assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
            peer.send(RemirrorData.of(1, 3, 1, Unpooled.wrappedBuffer(block(3))));
            RemirrorAck early = assertInstanceOf(RemirrorAck.class, peer.receive(TIMEOUT_MS));
            assertEquals(new RemirrorAck(1, RemirrorStatus.NOT_REMIRRORING, "no REMIRROR_BEGIN on this connection"), early);

            peer.send(new RemirrorBegin(RemirrorKind.RESYNC, 1, BS));
            assertInstanceOf(RemirrorReady.class, peer.receive(TIMEOUT_MS));
            peer.send(new RemirrorData(2, 3, 1, 0x1234, Unpooled.wrappedBuffer(block(3))));
            RemirrorAck crc = assertInstanceOf(RemirrorAck.class, peer.receive(TIMEOUT_MS));
            assertEquals(RemirrorStatus.CRC_MISMATCH, crc.status());
            assertTrue(crc.message().endsWith("does not match 0x00001234 sent"), crc.message());
            peer.send(RemirrorData.of(3, 64, 1, Unpooled.wrappedBuffer(block(3))));
            assertEquals(new RemirrorAck(3, RemirrorStatus.OUT_OF_RANGE, "blocks 64+1 are beyond the volume (64 blocks)"),
                    peer.receive(TIMEOUT_MS));
            // a range beyond the volume simply differs; the data for it is what gets refused
            peer.send(new RangeSums(4, List.of(new ChecksumRange(62, 4, 0))));
            ChecksumDiff diff = assertInstanceOf(ChecksumDiff.class, peer.receive(TIMEOUT_MS));
            assertEquals(FrameType.RANGE_DIFF, diff.frameType());
            assertTrue(diff.differs(0));
        }
        assertArrayEquals(new byte[BS], remoteBlock(3));
    }
}
