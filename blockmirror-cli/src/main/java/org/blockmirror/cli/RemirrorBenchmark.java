package org.blockmirror.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.blockmirror.local.RemirrorSource;
import org.blockmirror.volume.FileVolume;

/**
 * The remirror measurement of issue 4: make a remote volume equal to a local one of which a
 * given fraction of the blocks differ (scattered at random), by checksum remirror, and by a plain
 * full copy over a loopback socket for comparison. Volumes are sparse files in one directory;
 * every chunk is compared (the initial-sync case; after a real outage only dirty chunks are).
 */
public final class RemirrorBenchmark {

    /**
     * @param differingBlocks blocks that differed
     * @param dataBytes       bytes of block data sent
     * @param checksumBytes   bytes of checksum frames, both ways
     */
    public record Figures(long volumeBytes, long differingBlocks, long millis, long dataBytes, long checksumBytes) {

        public long wireBytes() {
            return dataBytes + checksumBytes;
        }

        public double dataPercent() {
            return 100.0 * dataBytes / volumeBytes;
        }
    }

    public static final int BLOCK_SIZE = 4096;

    private RemirrorBenchmark() {
    }

    /**
     * Remirrors a {@code volumeBytes} pair in {@code dir} whose local volume differs from the
     * remote's (all zeros) in {@code fraction} of its blocks, chosen at random (1.0: every block).
     */
    public static Figures remirror(Path dir, long volumeBytes, double fraction, int chunkBytes, long seed)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        long blocks = volumeBytes / BLOCK_SIZE;
        try (RemirrorHarness h = RemirrorHarness.start(dir, volumeBytes, BLOCK_SIZE, chunkBytes / BLOCK_SIZE, "", 1)) {
            long differing = writeDifferences(h.localVolume(), blocks, fraction, seed);
            h.localVolume().flush();
            h.map().markAll();
            RemirrorSource.Result r = h.remirror();
            long firstDifference = VolumeCompare.firstDifference(h.localVolumePath(), h.remoteVolumePath());
            if (firstDifference >= 0) {
                throw new IOException("after the remirror the volumes differ at byte " + firstDifference);
            }
            return new Figures(volumeBytes, differing, r.millis(), r.dataBytesSent(), r.checksumBytes());
        }
    }

    /** Random data in {@code fraction} of the blocks (distinct, scattered); returns how many. */
    private static long writeDifferences(FileVolume volume, long blocks, double fraction, long seed)
            throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] bytes = new byte[1 << 20];
        if (fraction >= 1.0) {
            for (long pos = 0; pos < volume.sizeBytes(); pos += bytes.length) {
                random.nextBytes(bytes);
                volume.write(pos, ByteBuffer.wrap(bytes, 0, (int) Math.min(bytes.length, volume.sizeBytes() - pos)));
            }
            return blocks;
        }
        long target = Math.round(blocks * fraction);
        BitSet chosen = new BitSet((int) blocks);
        while (chosen.cardinality() < target) {
            chosen.set(random.nextInt((int) blocks));
        }
        byte[] block = new byte[BLOCK_SIZE];
        for (int b = chosen.nextSetBit(0); b >= 0; b = chosen.nextSetBit(b + 1)) {
            random.nextBytes(block);
            volume.write((long) b * BLOCK_SIZE, ByteBuffer.wrap(block));
        }
        return target;
    }

    /**
     * The baseline: copies {@code source} to {@code target} (same size) over a loopback TCP socket,
     * 4 MiB at a time, the receiver writing positionally and fdatasyncing at the end.
     */
    public static Figures fullCopy(Path source, Path target) throws IOException, InterruptedException {
        long size = Files.size(source);
        long started = System.nanoTime();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream();
                     FileChannel out = FileChannel.open(target, StandardOpenOption.WRITE)) {
                    byte[] buf = new byte[4 << 20];
                    long pos = 0;
                    for (int n; (n = in.read(buf)) > 0; ) {
                        out.write(ByteBuffer.wrap(buf, 0, n), pos);
                        pos += n;
                    }
                    out.force(false);
                    return pos;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (Socket s = new Socket(server.getInetAddress(), server.getLocalPort());
                 FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
                byte[] buf = new byte[4 << 20];
                ByteBuffer bb = ByteBuffer.wrap(buf);
                for (long pos = 0; pos < size; ) {
                    bb.clear();
                    int n = in.read(bb, pos);
                    s.getOutputStream().write(buf, 0, n);
                    pos += n;
                }
                s.shutdownOutput();
            }
            long copied = received.join();
            if (copied != size) {
                throw new IOException("full copy moved " + copied + " of " + size + " bytes");
            }
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        return new Figures(size, size / BLOCK_SIZE, millis, size, 0);
    }
}
