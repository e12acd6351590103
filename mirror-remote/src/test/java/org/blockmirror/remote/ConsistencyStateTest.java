package org.blockmirror.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.blockmirror.protocol.RemoteSyncState;
import org.blockmirror.state.DurableStateFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The remote's durable sync state and the pre-inconsistency hook, on real files and processes. */
class ConsistencyStateTest {

    @TempDir
    Path dir;

    @Test
    void aRemoteWithoutStateIsNeverSyncedOrConsistentByItsAppliedSeq() throws Exception {
        try (ConsistencyState s = ConsistencyState.open(dir.resolve("a"), 0)) {
            assertEquals(RemoteSyncState.NEVER_SYNCED, s.state());
        }
        try (ConsistencyState s = ConsistencyState.open(dir.resolve("b"), 5)) {
            assertEquals(RemoteSyncState.CONSISTENT, s.state(), "a remote from before remirror existed");
        }
    }

    @Test
    void inconsistencyIsDurableUntilTheAppliedSeqReachesTheTarget() throws Exception {
        Path p = dir.resolve("sync-state");
        try (ConsistencyState s = ConsistencyState.open(p, 3)) {
            s.markInconsistent();
        }
        try (ConsistencyState s = ConsistencyState.open(p, 3)) {
            assertEquals(RemoteSyncState.INCONSISTENT, s.state());
            assertEquals(-1, s.consistentAtSeq());
            s.consistentAt(10, 5);
            assertEquals(RemoteSyncState.INCONSISTENT, s.state(), "the replay has not reached seq 10");
            assertTrue(!s.reached(9));
        }
        try (ConsistencyState s = ConsistencyState.open(p, 10)) {
            assertEquals(RemoteSyncState.CONSISTENT, s.state(), "reached before a crash: resolved at open");
        }
        try (ConsistencyState s = ConsistencyState.open(p, 10)) {
            assertEquals(RemoteSyncState.CONSISTENT, s.state());
        }
    }

    private void writeRecord(Path p, byte[] payload) throws IOException {
        try (DurableStateFile f = DurableStateFile.open(p)) {
            f.write(payload);
        }
    }

    @Test
    void aDamagedOrForeignRecordIsAnErrorNotAGuess() throws Exception {
        Path p = dir.resolve("sync-state");
        writeRecord(p, ByteBuffer.allocate(12).put((byte) 9).put((byte) 3).array());
        IOException e = assertThrows(IOException.class, () -> ConsistencyState.open(p, 0));
        assertEquals(p + ": sync state record of 12 bytes, version 9, is not format version 1", e.getMessage());

        writeRecord(p, ByteBuffer.allocate(12).put((byte) 1).put((byte) 7).array());
        e = assertThrows(IOException.class, () -> ConsistencyState.open(p, 0));
        assertEquals(p + ": unknown sync state code 7", e.getMessage());
    }

    private Path script(String body) throws IOException {
        Path p = dir.resolve("hook.sh");
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    @Test
    void thePreHookFailsWhenItHangsOrCannotRun() throws Exception {
        Path hook = script("echo taking a snapshot; sleep 10");
        String hung = new PreInconsistencyHook(hook, 300).run("vol", "/dev/x", 1, "CONSISTENT");
        assertTrue(hung.startsWith("remirror.pre-hook " + hook + " was killed after "), hung);
        assertTrue(hung.endsWith(" ms (remirror.pre-hook-timeout-ms); output: taking a snapshot"), hung);

        Path missing = dir.resolve("gone.sh");
        String cannot = new PreInconsistencyHook(missing, 1000).run("vol", "/dev/x", 1, "CONSISTENT");
        assertTrue(cannot.startsWith("remirror.pre-hook " + missing + ": cannot run it: "), cannot);

        assertNull(new PreInconsistencyHook(script("exit 0"), 1000).run("vol", "/dev/x", 1, "CONSISTENT"));
        assertNull(PreInconsistencyHook.none().run("vol", "/dev/x", 1, "CONSISTENT"), "no hook: nothing to refuse");
    }
}
