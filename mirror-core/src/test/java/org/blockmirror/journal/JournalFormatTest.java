package org.blockmirror.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Formatting a new journal file must be crash-safe: the daemon formats on its first start, and
 * a crash then must not leave a file at the journal path that it refuses on the next start.
 */
class JournalFormatTest {
    private static final int BLOCK = 512;
    private static final long SIZE = Journal.REGION_OFFSET + 64 * 1024;

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();

    private JournalOptions options() {
        return JournalOptions.of(BLOCK).withMaxRecordDataBytes(8 * BLOCK);
    }

    @Test
    void aNewJournalAppearsOnlyWhenFormattedAndLeavesNoTemporaryFile() throws Exception {
        Path p = dir.resolve("journal");
        try (Journal j = Journal.format(p, SIZE, options(), clock)) {
            assertEquals(1, j.nextSeq());
        }
        assertEquals(SIZE, Files.size(p));
        assertFalse(Files.exists(Journal.formattingPath(p)), "the temporary file was left behind");
        try (Journal j = Journal.open(p, options(), clock)) {
            assertEquals(1, j.nextSeq());
        }
    }

    /** What a crash right after creating the file left with the old in-place format. */
    @Test
    void anEmptyFileAtTheJournalPathIsFormatted() throws Exception {
        Path p = dir.resolve("journal");
        Files.createFile(p);
        try (Journal j = Journal.format(p, SIZE, options(), clock)) {
            assertEquals(1, j.nextSeq());
        }
        assertEquals(SIZE, Files.size(p));
    }

    /** What a crash in the middle of formatting leaves now: only the temporary file. */
    @Test
    void aTemporaryFileLeftByAnInterruptedFormatIsReplaced() throws Exception {
        Path p = dir.resolve("journal");
        Files.write(Journal.formattingPath(p), new byte[] {1, 2, 3});
        try (Journal j = Journal.format(p, SIZE, options(), clock)) {
            assertEquals(1, j.nextSeq());
        }
        assertFalse(Files.exists(Journal.formattingPath(p)));
        assertEquals(SIZE, Files.size(p));
    }

    @Test
    void anExistingNonEmptyFileIsStillNeverExtended() throws Exception {
        Path p = dir.resolve("journal");
        Files.write(p, new byte[4096]);
        JournalException e = assertThrows(JournalException.class, () -> Journal.format(p, SIZE, options(), clock));
        assertTrue(e.getMessage().contains("is too small: it has 4096 bytes"), e.getMessage());
        assertEquals(4096, Files.size(p));
    }
}
