package org.blockmirror.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crash recovery, exhaustively on the last synced group. A random workload (appends in groups,
 * syncs, releases with a lag, wrap-arounds, tail checkpoints) runs on a small journal; around
 * every sync the file image is captured before and after. A crash is then modelled by building
 * an image from the two:
 * <ul>
 *   <li>the sync's writes reached the disk up to byte k of its write stream (every k);</li>
 *   <li>an arbitrary subset of the written 512-byte sectors reached the disk;</li>
 *   <li>after the sync, one byte of a record rotted (every byte).</li>
 * </ul>
 * Each image is opened; recovery must yield exactly the records from the persisted tail up to
 * the first record whose bytes differ from what was written — so every record synced before the
 * crash is there, and nothing corrupt or out of sequence ever is.
 */
class JournalCrashRecoveryTest {
    private static final int BLOCK = 512;
    private static final int MAX_BLOCKS = 4;
    private static final int MAX_RECORD = 512 + MAX_BLOCKS * BLOCK;
    private static final int MAX_GROUP = 6;
    private static final long REGION = 40 * 1024;

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();
    private final List<Appended> appended = new ArrayList<>();
    private int opens;

    /** One synced group: images before/after its sync, and its write stream in order. */
    private record Group(long firstSeq, long lastSeq, byte[] before, byte[] after, long tailBefore, long tailAfter,
                         List<Extent> stream) {
        int streamLength() {
            return stream.stream().mapToInt(e -> (int) (e.end - e.start)).sum();
        }

        /** 0 for the records' sectors, 1 and 2 for the first and second superblock copy written. */
        int phaseOfSector(int sector) {
            int k = sector * 512;
            int phase = 0;
            for (Extent e : stream) {
                if (e.seq == 0) {
                    phase++;
                }
                long len = e.end - e.start;
                if (k < len) {
                    return e.seq == 0 ? phase : 0;
                }
                k -= (int) len;
            }
            throw new IllegalArgumentException("beyond the stream: " + sector);
        }

        /** File offset of stream byte k. */
        long fileOffset(int k) {
            for (Extent e : stream) {
                long len = e.end - e.start;
                if (k < len) {
                    return e.start + k;
                }
                k -= (int) len;
            }
            throw new IllegalArgumentException("beyond the stream: " + k);
        }
    }

    /** File bytes [start, end) written for record {@code seq} (its header+data, or the PAD before it); seq 0 = superblock. */
    private record Extent(long seq, long start, long end) {
    }

    private static ch.qos.logback.classic.Level superblockLogLevel;

    /** Thousands of images with a torn superblock copy each log a (correct) warning: keep the build output readable. */
    @org.junit.jupiter.api.BeforeAll
    static void quietTornSuperblockWarnings() {
        ch.qos.logback.classic.Logger l = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(SuperblockStore.class);
        superblockLogLevel = l.getLevel();
        l.setLevel(ch.qos.logback.classic.Level.ERROR);
    }

    @org.junit.jupiter.api.AfterAll
    static void restoreLogging() {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(SuperblockStore.class)).setLevel(superblockLogLevel);
    }

    @ParameterizedTest(name = "checkpoint fraction {0}")
    @ValueSource(doubles = {0.125, 1.0})
    void recoversExactlyTheIntactPrefixAfterEveryCrash(double checkpointFraction) throws Exception {
        // fraction 1.0 with a long interval: the tail is persisted only when the appender runs
        // out of space, so reuse runs right up to the persisted tail.
        JournalOptions options = JournalOptions.of(BLOCK).withMaxRecordDataBytes(MAX_BLOCKS * BLOCK)
                .withCheckpointPolicy(checkpointFraction, checkpointFraction < 1 ? 1 : 3600, TimeUnit.SECONDS);
        Path live = dir.resolve("live");
        // Thousands of opens each fsync the image: keep it on tmpfs when there is one.
        Path shm = Path.of("/dev/shm");
        Path scratch = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "journal-crash") : dir;
        Path image = scratch.resolve("image");
        Random rnd = new Random(7 + (long) (checkpointFraction * 100));
        List<Group> groups = runWorkload(live, options, rnd, 36);

        long wraps = groups.stream().filter(g -> g.stream.stream().anyMatch(e -> e.start < g.stream.get(0).start)).count();
        assertTrue(wraps >= 4, "the workload wrapped around the region several times: " + wraps);
        boolean sawCheckpointInSync = groups.stream().anyMatch(g -> g.tailAfter != g.tailBefore);
        assertTrue(checkpointFraction == 1.0 || sawCheckpointInSync, "some syncs wrote a tail checkpoint");

        // Byte-exhaustive on the smallest group that wraps with a PAD; sampled on all the others.
        Group padGroup = groups.stream()
                .filter(g -> g.stream.stream().filter(e -> e.seq != 0).count() > g.lastSeq - g.firstSeq + 1)
                .min(java.util.Comparator.comparingInt(Group::streamLength))
                .orElseThrow(() -> new AssertionError("no group wrapped with a PAD"));
        for (Group g : groups) {
            boolean exhaustive = g == padGroup;
            int n = g.streamLength();
            // (a) the write stream reached the disk up to byte k.
            for (int k = 0; k <= n; k++) {
                if (exhaustive || k % 512 <= 1 || k % 512 == 511 || k == n) {
                    byte[] img = g.before.clone();
                    for (int i = 0; i < k; i++) {
                        int off = (int) g.fileOffset(i);
                        img[off] = g.after[off];
                    }
                    check(options, image, g, img, "prefix of " + k + " bytes");
                }
            }
            // (b) an arbitrary subset of the written sectors reached the disk. A force separates
            // the records from the first superblock copy and that from the second, so a crash
            // leaves a subset of one phase's sectors with every earlier phase complete.
            int sectors = n / 512;
            int phases = 1 + (int) g.stream.stream().filter(e -> e.seq == 0).count();
            for (int trial = 0; trial < (exhaustive ? 200 : 10) + sectors; trial++) {
                int crashPhase = trial < sectors ? g.phaseOfSector(trial) : rnd.nextInt(phases);
                byte[] img = g.before.clone();
                StringBuilder which = new StringBuilder("phase " + crashPhase + ": ");
                for (int s = 0; s < sectors; s++) {
                    int phase = g.phaseOfSector(s);
                    boolean persisted = phase < crashPhase
                            || phase == crashPhase && (trial < sectors ? s != trial : rnd.nextBoolean());
                    if (persisted) {
                        long off = g.fileOffset(s * 512);
                        System.arraycopy(g.after, (int) off, img, (int) off, 512);
                        which.append(s).append(' ');
                    }
                }
                check(options, image, g, img, "sectors persisted: " + which);
            }
            // (c) one byte of the synced records rotted.
            int recordBytes = n - (g.stream.get(g.stream.size() - 1).seq == 0 ? Superblock.SIZE : 0);
            for (int k = exhaustive ? 0 : rnd.nextInt(101); k < recordBytes; k += exhaustive ? 1 : 101) {
                byte[] img = g.after.clone();
                int off = (int) g.fileOffset(k);
                img[off] ^= (byte) (1 << rnd.nextInt(8));
                check(options, image, g, img, "flipped byte at file offset " + off);
            }
        }
        Files.deleteIfExists(image);
        if (!scratch.equals(dir)) {
            Files.delete(scratch);
        }
        assertTrue(opens > 5_000, "many crash images were checked: " + opens);
    }

    private List<Group> runWorkload(Path live, JournalOptions options, Random rnd, int groupCount) throws Exception {
        List<Group> groups = new ArrayList<>();
        appended.clear();
        long regionEnd = Journal.REGION_OFFSET + REGION;
        try (Journal j = Journal.format(live, regionEnd, options, clock)) {
            long released = 0;
            long prevEnd = Journal.REGION_OFFSET;
            for (int g = 0; g < groupCount; g++) {
                released = releaseWithLag(j, rnd, released);
                int size = 1 + rnd.nextInt(MAX_GROUP);
                long first = j.nextSeq();
                for (int i = 0; i < size; i++) {
                    appended.add(Appended.random(j, rnd, BLOCK, MAX_BLOCKS, clock.nanos()));
                }
                byte[] before = Files.readAllBytes(live);
                long tailBefore = j.stats().persistedTailSeq();
                clock.advanceMillis(400);
                j.sync();
                byte[] after = Files.readAllBytes(live);
                long tailAfter = j.stats().persistedTailSeq();

                List<Extent> stream = new ArrayList<>();
                JournalReader reader = j.reader(first);
                JournalRecord r;
                while ((r = reader.next()) != null) {
                    if (r.fileOffset() != prevEnd) {
                        assertEquals(Journal.REGION_OFFSET, r.fileOffset(), "only a wrap breaks contiguity");
                        if (prevEnd < regionEnd) {
                            stream.add(new Extent(r.seq(), prevEnd, prevEnd + 512));   // the PAD header
                        }
                    }
                    stream.add(new Extent(r.seq(), r.fileOffset(), r.fileOffset() + r.diskLength()));
                    prevEnd = r.fileOffset() + r.diskLength();
                }
                // Then the checkpoint, if any: one superblock copy, force, the other copy, force.
                List<Extent> checkpoint = new ArrayList<>();
                for (int c = 0; c < Superblock.COPIES; c++) {
                    int start = c * Superblock.SIZE;
                    if (!Arrays.equals(before, start, start + Superblock.SIZE, after, start, start + Superblock.SIZE)) {
                        checkpoint.add(new Extent(0, start, start + Superblock.SIZE));
                    }
                }
                // The lower checkpoint number (superblock bytes 8..15) was written first.
                checkpoint.sort(java.util.Comparator.comparingLong(e -> ByteBuffer.wrap(after, (int) e.start + 8, 8).getLong()));
                stream.addAll(checkpoint);
                groups.add(new Group(first, j.nextSeq() - 1, before, after, tailBefore, tailAfter, stream));
            }
        }
        return groups;
    }

    /** Releases the oldest records so that at most a random amount of the region stays unacknowledged. */
    private long releaseWithLag(Journal j, Random rnd, long released) {
        long budget = REGION - (long) (MAX_GROUP + 1) * MAX_RECORD;   // room for the next group and a PAD
        long keep = budget / 2 + rnd.nextInt((int) (budget / 2));
        long unreleased = 0;
        long newReleased = appended.size();
        for (int i = appended.size() - 1; i >= released; i--) {
            unreleased += 512 + appended.get(i).data().length;
            if (unreleased > keep) {
                break;
            }
            newReleased = i;
        }
        if (newReleased > released) {
            j.release(newReleased);
        }
        return Math.max(released, newReleased);
    }

    private void check(JournalOptions options, Path image, Group g, byte[] img, String what) throws Exception {
        // Each checkpoint writes both superblock copies: any one that fully reached the disk
        // carries the new tail (and the higher checkpoint number).
        long expectedTail = g.tailBefore;
        for (Extent e : g.stream) {
            if (e.seq == 0 && Arrays.equals(img, (int) e.start, (int) e.end, g.after, (int) e.start, (int) e.end)) {
                expectedTail = g.tailAfter;
            }
        }
        long expectedHead = g.lastSeq + 1;
        for (Extent e : g.stream) {
            if (e.seq != 0 && !Arrays.equals(img, (int) e.start, (int) e.end, g.after, (int) e.start, (int) e.end)) {
                expectedHead = e.seq;
                break;
            }
        }
        Files.write(image, img);
        opens++;
        try (Journal j = Journal.open(image, options, clock)) {
            RecoveryReport report = j.recoveryReport();
            assertEquals(expectedTail, report.tailSeq(), "tail");
            assertEquals(expectedHead, report.headSeq(), "head; scan stopped " + report.stopReason());
            JournalReader reader = j.reader(expectedTail);
            for (long seq = expectedTail; seq < expectedHead; seq++) {
                appended.get((int) seq - 1).assertMatches(reader.next());
            }
            assertNull(reader.next());
        } catch (AssertionError | Exception e) {
            fail("group " + g.firstSeq + ".." + g.lastSeq + ", " + what + ": " + e, e);
        }
    }
}
