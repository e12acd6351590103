package org.blockmirror.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code blockmirror benchmark remirror}: time and bytes to remirror a volume with 1 %, 10 % and
 * 100 % of its blocks differing, against a plain full copy (docs/performance.md, "Remirror").
 */
@Command(name = "remirror", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure checksum remirror: a local volume differing from the remote's in a given share of"
                + " its blocks (scattered at random) is made equal by exchanging range and block checksums and"
                + " sending only the differing blocks; compared with a plain full copy over a loopback socket.",
                "Files go to a new subdirectory of --dir, removed afterwards. BLOCKMIRROR_LOG=warn keeps it quiet."})
final class RemirrorBenchmarkCommand implements Callable<Integer> {

    @Option(names = "--dir", defaultValue = "/var/tmp", paramLabel = "DIR",
            description = "where the (sparse) volume files go (default ${DEFAULT-VALUE})")
    Path parent;

    @Option(names = "--size", defaultValue = "1G", converter = SizeConverter.class, paramLabel = "BYTES",
            description = "volume size (default ${DEFAULT-VALUE})")
    long size;

    @Option(names = "--percent", defaultValue = "1,10,100", split = ",", paramLabel = "P",
            description = "shares of differing blocks, in percent (default ${DEFAULT-VALUE})")
    List<Double> percents;

    @Option(names = "--chunk-bytes", defaultValue = "64K", converter = SizeConverter.class, paramLabel = "BYTES",
            description = "dirty-map chunk, one checksum range (default ${DEFAULT-VALUE})")
    long chunkBytes;

    @Override
    public Integer call() throws Exception {
        int bs = RemirrorBenchmark.BLOCK_SIZE;
        if (size < (1 << 20) || size % (1 << 20) != 0) {
            System.err.println("benchmark remirror: --size must be a whole number of MiB, at least 1 MiB; got " + size);
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        if (chunkBytes < bs || chunkBytes % bs != 0 || chunkBytes > (4L << 20)) {
            System.err.println("benchmark remirror: --chunk-bytes must be a multiple of 4 KiB up to 4 MiB; got "
                    + chunkBytes);
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        for (double p : percents) {
            if (!(p > 0 && p <= 100)) {
                System.err.println("benchmark remirror: --percent values must be in (0, 100]; got " + p);
                return BlockmirrorCommand.EXIT_BAD_CONFIG;
            }
        }
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent, "blockmirror-remirror-bench-");
        try {
            System.out.printf(Locale.ROOT, "volume %s, blocks of %d bytes, checksum ranges of %s; files in %s%n",
                    SizeConverter.format(size), bs, SizeConverter.format(chunkBytes), work);
            System.out.printf(Locale.ROOT, "%-12s %10s %9s %14s %14s %9s %10s%n", "case", "blocks", "time s",
                    "data sent", "checksums", "% of vol", "vs copy");
            RemirrorBenchmark.Figures copy = null;
            for (double p : percents) {
                Path dir = work.resolve("p" + p);
                RemirrorBenchmark.Figures f = RemirrorBenchmark.remirror(dir, size, p / 100.0, (int) chunkBytes, 42);
                if (copy == null) {
                    copy = RemirrorBenchmark.fullCopy(dir.resolve("local.vol"), dir.resolve("remote.vol"));
                }
                print(String.format(Locale.ROOT, "remirror %s%%", trim(p)), f, copy);
                deleteTree(dir);
            }
            print("full copy", copy, copy);
            return 0;
        } finally {
            deleteTree(work);
        }
    }

    private static String trim(double p) {
        return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
    }

    private static void print(String name, RemirrorBenchmark.Figures f, RemirrorBenchmark.Figures copy) {
        System.out.printf(Locale.ROOT, "%-12s %10d %9.2f %14d %14d %8.2f%% %9.2fx%n", name, f.differingBlocks(),
                f.millis() / 1000.0, f.dataBytes(), f.checksumBytes(), 100.0 * f.wireBytes() / f.volumeBytes(),
                copy.millis() == 0 ? 0 : (double) f.millis() / copy.millis());
    }

    private static void deleteTree(Path root) {
        if (Files.notExists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("cannot remove " + root + ": " + e.getMessage());
        }
    }
}
