package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.blockmirror.state.DurableStateFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persisted "local volume failed" flag: survives reopening, refuses what it cannot read. */
class FailoverStateTest {

    @TempDir
    Path dir;

    @Test
    void failedSurvivesAReopenUntilCleared() throws Exception {
        try (FailoverState s = FailoverState.open(dir)) {
            assertFalse(s.volumeFailed());
            s.markFailed("disk gone: read at 4096 failed");
        }
        try (FailoverState s = FailoverState.open(dir)) {
            assertTrue(s.volumeFailed());
            assertEquals("disk gone: read at 4096 failed", s.reason());
            s.clear();
        }
        try (FailoverState s = FailoverState.open(dir)) {
            assertFalse(s.volumeFailed());
            assertEquals("", s.reason());
        }
    }

    @Test
    void anotherVersionOrAMalformedPayloadIsRefused() throws Exception {
        try (DurableStateFile f = DurableStateFile.open(dir.resolve(FailoverState.FILE_NAME))) {
            f.write(ByteBuffer.allocate(5).putShort((short) 2).put((byte) 1).putShort((short) 0).array());
        }
        IOException e = assertThrows(IOException.class, () -> FailoverState.open(dir));
        assertEquals(dir.resolve(FailoverState.FILE_NAME) + ": fail-over state of version 2 and 5 bytes is not"
                + " supported (this build reads version 1)", e.getMessage());
        try (DurableStateFile f = DurableStateFile.open(dir.resolve(FailoverState.FILE_NAME))) {
            f.write(ByteBuffer.allocate(6).putShort((short) 1).put((byte) 4).putShort((short) 1).put((byte) 'x').array());
        }
        e = assertThrows(IOException.class, () -> FailoverState.open(dir));
        assertEquals(dir.resolve(FailoverState.FILE_NAME) + ": malformed fail-over state (flags 0x4, reason length 1,"
                + " 6 bytes)", e.getMessage());
    }
}
