package org.blockmirror.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, end to end: the demo must pass on a fresh directory. */
class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void demoCutsTheLinkReplaysAndEndsWithIdenticalVolumes() {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            exit = BlockmirrorCommand.execute("demo", "--dir", dir.resolve("demo").toString(), "--fast-heartbeats",
                    "--volume-size", "32", "--cut-seconds", "2", "--rate", "8");
        } finally {
            System.setOut(out);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertEquals(0, exit, text);
        assertTrue(text.contains("cutting the link"), text);
        assertTrue(text.contains("byte-for-byte identical"), text);
        assertTrue(text.contains("link DOWN") || text.contains("| link DOWN"), "the cut was observed: " + text);
    }
}
