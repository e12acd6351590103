package org.blockmirror.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.TypeConversionException;

/** The benchmark's options and a tiny run end to end (figures are printed, never asserted). */
class BenchmarkCommandTest {

    @TempDir
    Path dir;

    @Test
    void sizesAcceptSuffixesInPowersOf1024() {
        SizeConverter c = new SizeConverter();
        assertEquals(4096L, c.convert("4096"));
        assertEquals(512L << 10, c.convert("512K"));
        assertEquals(64L << 20, c.convert("64MiB"));
        assertEquals(1L << 30, c.convert("1g"));
        assertEquals("1.50 GiB", SizeConverter.format(3L << 29));
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> c.convert("lots"));
        assertTrue(e.getMessage().contains("'lots' is not a size"), e.getMessage());
    }

    @Test
    void rejectsAWriteSizeThatIsNotWholeBlocks() {
        Result r = capture(() -> BlockmirrorCommand.execute("benchmark", "--dir", dir.toString(), "--block", "1000"));
        assertEquals(BlockmirrorCommand.EXIT_BAD_CONFIG, r.exit());
        assertTrue(r.err().contains("--block must be a multiple of 4 KiB"), r.err());
    }

    @Test
    void rejectsABacklogSmallerThanOneWrite() {
        Result r = capture(() -> BlockmirrorCommand.execute("benchmark", "--dir", dir.toString(),
                "--backlog", "4K", "--block", "1M"));
        assertEquals(BlockmirrorCommand.EXIT_BAD_CONFIG, r.exit());
        assertTrue(r.err().contains("--backlog must be 0 (no drain measurement) or at least one write"), r.err());
    }

    @Test
    void smallRunPrintsEveryFigureAndRemovesItsFiles() throws Exception {
        Result r = capture(() -> BlockmirrorCommand.execute("benchmark", "--dir", dir.toString(), "--size", "16M",
                "--backlog", "8M", "--block", "256K", "--queue-depth", "4", "--connections", "2"));
        assertEquals(0, r.exit(), "exit 0: no write failed and both remote copies are identical\n" + r.out() + r.err());
        for (String line : new String[] {"raw: sequential writes", "mirrored async n=2, direct loopback TCP",
                "mirrored async n=2, through the link simulator", "drain tail", "remote copy byte-for-byte identical",
                "raw/3 (each host byte written 3 times", "mirrored/raw", "mirrored/(raw/3)"}) {
            assertTrue(r.out().contains(line), "missing '" + line + "' in:\n" + r.out());
        }
        assertTrue(r.out().matches("(?s).*\\n1 .*\\n2 .*"), "a drain row for n=1 and n=2:\n" + r.out());
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "the benchmark's working directory is removed");
        }
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result capture(Supplier<Integer> run) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = run.get();
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
