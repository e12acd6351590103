package org.blockmirror.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Locale;
import org.blockmirror.cli.RemirrorBenchmark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4's efficiency bar: with 10 % of the blocks changed at scattered places, the block data
 * remirror sends is at most 12 % of the volume (the rest of the traffic is checksums, printed
 * too). 1 GiB sparse volumes by default; {@code -Dblockmirror.remirror.efficiency.bytes=256M}
 * (K/M/G suffixes) runs it smaller.
 */
class RemirrorEfficiencyTest {

    @TempDir
    Path dir;

    private static long volumeBytes() {
        String v = System.getProperty("blockmirror.remirror.efficiency.bytes", "1G").trim().toUpperCase(Locale.ROOT);
        long unit = switch (v.charAt(v.length() - 1)) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        return Long.parseLong(unit == 1 ? v : v.substring(0, v.length() - 1)) * unit;
    }

    @Test
    void tenPercentScatteredChangesSendAtMostTwelvePercentOfTheVolume() throws Exception {
        long bytes = volumeBytes();
        RemirrorBenchmark.Figures f = RemirrorBenchmark.remirror(dir, bytes, 0.10, 64 << 10, 7);
        System.out.printf(Locale.ROOT, "remirror of %d MiB with %d scattered blocks (10%%) differing: %.2f s, "
                        + "%d bytes of block data (%.2f%% of the volume), %d bytes of checksums (%.3f%%)%n",
                bytes >> 20, f.differingBlocks(), f.millis() / 1000.0, f.dataBytes(), f.dataPercent(),
                f.checksumBytes(), 100.0 * f.checksumBytes() / bytes);
        assertEquals(f.differingBlocks() * RemirrorBenchmark.BLOCK_SIZE, f.dataBytes(),
                "exactly the differing blocks are sent");
        assertTrue(f.dataPercent() <= 12.0, "data sent is " + f.dataPercent() + "% of the volume");
        assertTrue(f.checksumBytes() < bytes / 100, "checksum traffic " + f.checksumBytes());
    }
}
