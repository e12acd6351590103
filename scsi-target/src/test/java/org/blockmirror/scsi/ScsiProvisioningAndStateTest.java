package org.blockmirror.scsi;

import static org.blockmirror.scsi.CommandSet.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.blockmirror.block.BlockDeviceException.Reason;
import org.junit.jupiter.api.Test;

/** UNMAP, WRITE SAME, COMPARE AND WRITE (incl. concurrency), NOT READY, device error mapping, sense encoding. */
class ScsiProvisioningAndStateTest extends DiskFixture {

    static byte[] unmapList(long[][] extents) {
        byte[] p = new byte[8 + 16 * extents.length];
        Bytes.putShort(p, 0, p.length - 2);
        Bytes.putShort(p, 2, 16 * extents.length);
        for (int i = 0; i < extents.length; i++) {
            Bytes.putLong(p, 8 + 16 * i, extents[i][0]);
            Bytes.putInt(p, 16 + 16 * i, extents[i][1]);
        }
        return p;
    }

    static byte[] unmapCdb(int listLength) {
        return cdb(UNMAP, 0, 0, 0, 0, 0, 0, listLength >>> 8, listLength & 0xff, 0);
    }

    static byte[] caw(long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) COMPARE_AND_WRITE;
        Bytes.putLong(c, 2, lba);
        c[13] = (byte) blocks;
        return c;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void unmapMakesBlocksReadZeroAndValidatesFirst() throws Exception {
        open();
        assertGood(run(rw10(WRITE_10, 0, 64), pattern(64, 1)));
        byte[] list = unmapList(new long[][] {{2, 3}, {10, 1}, {20, 0}});
        assertGood(run(unmapCdb(list.length), list));
        assertArrayEquals(new byte[3 * BS], readBlocks(2, 3));
        assertArrayEquals(new byte[BS], readBlocks(10, 1));
        assertArrayEquals(java.util.Arrays.copyOfRange(pattern(64, 1), 5 * BS, 10 * BS), readBlocks(5, 5));

        int trims = device.trimCount();
        byte[] bad = unmapList(new long[][] {{30, 2}, {BLOCKS - 1, 2}});
        assertLbaOutOfRange(run(unmapCdb(bad.length), bad));
        assertEquals(trims, device.trimCount(), "a rejected UNMAP trims nothing");
        assertArrayEquals(java.util.Arrays.copyOfRange(pattern(64, 1), 30 * BS, 32 * BS), readBlocks(30, 2));

        assertGood(run(unmapCdb(0)));
        assertSense(run(unmapCdb(7), new byte[7]), 0x05, 0x1A, 0x00);
        assertInvalidFieldInCdb(run(with(unmapCdb(list.length), 1, 0x01), list), 1, 0); // ANCHOR
        assertSense(run(unmapCdb(list.length), new byte[8]), 0x05, 0x0E, 0x03);
    }

    @Test
    void unmapLimits() throws Exception {
        open(BLOCKS, DiskLimits.defaults(BS).withUnmap(10, 2), null);
        byte[] three = unmapList(new long[][] {{0, 1}, {2, 1}, {4, 1}});
        assertInvalidFieldInParameterList(run(unmapCdb(three.length), three), 2, 7);
        byte[] tooMany = unmapList(new long[][] {{0, 6}, {20, 5}});
        assertInvalidFieldInParameterList(run(unmapCdb(tooMany.length), tooMany), 8 + 16 + 8, 7);
        byte[] ok = unmapList(new long[][] {{0, 5}, {20, 5}});
        assertGood(run(unmapCdb(ok.length), ok));
    }

    static byte[] ws10(long lba, int blocks, int flags) {
        return with(rw10(WRITE_SAME_10, lba, blocks), 1, flags);
    }

    static byte[] ws16(long lba, long blocks, int flags) {
        return with(rw16(WRITE_SAME_16, lba, blocks), 1, flags);
    }

    @Test
    void writeSameWritesThePatternOrTrims() throws Exception {
        open(4 * BLOCKS, DiskLimits.defaults(BS), null);
        byte[] block = pattern(1, 42);
        assertGood(run(ws10(100, 5, 0), block));
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(block, readBlocks(100 + i, 1));
        }
        assertArrayEquals(new byte[BS], readBlocks(105, 1));
        // bigger than one write chunk
        int big = ProvisioningCommands.WRITE_SAME_CHUNK_BYTES / BS + 3;
        assertGood(run(ws16(200, big, 0), block));
        assertArrayEquals(block, readBlocks(200 + big - 1, 1));

        int trims = device.trimCount();
        assertGood(run(ws16(100, 3, 0x08), new byte[BS]));          // UNMAP + zeros → trim
        assertEquals(trims + 1, device.trimCount());
        assertArrayEquals(new byte[3 * BS], readBlocks(100, 3));
        assertGood(run(ws16(103, 2, 0x09)));                         // UNMAP + NDOB: no data out
        assertEquals(trims + 2, device.trimCount());
        assertArrayEquals(new byte[2 * BS], readBlocks(103, 2));
        assertGood(run(ws10(300, 2, 0x08), block));                  // UNMAP with non-zero data: written
        assertArrayEquals(block, readBlocks(301, 1));
        assertEquals(trims + 2, device.trimCount());
    }

    @Test
    void writeSameErrors() throws Exception {
        open(BLOCKS, DiskLimits.defaults(BS).withMaxWriteSameBlocks(16), null);
        byte[] block = pattern(1, 1);
        assertInvalidFieldInCdb(run(ws10(0, 0, 0), block), 7, 7);      // WSNZ
        assertInvalidFieldInCdb(run(ws16(0, 0, 0), block), 10, 7);
        assertInvalidFieldInCdb(run(ws16(0, 17, 0), block), 10, 7);    // > MAXIMUM WRITE SAME LENGTH
        assertInvalidFieldInCdb(run(ws16(0, 1, 0x10), block), 1, 4);   // ANCHOR
        assertInvalidFieldInCdb(run(ws10(0, 1, 0x01), block), 1, 0);   // NDOB does not exist in WS(10)
        assertInvalidFieldInCdb(run(ws10(0, 1, 0x20), block), 1, 7);   // WRPROTECT
        assertInvalidFieldInCdb(run(ws10(0, 1, 0x04), block), 1, 2);   // obsolete PBDATA/LBDATA
        assertLbaOutOfRange(run(ws16(BLOCKS - 1, 2, 0), block));
        assertLbaOutOfRange(run(ws16(-1L, 1, 0), block));
        assertSense(run(ws10(0, 1, 0), new byte[BS - 1]), 0x05, 0x0E, 0x03);
        assertEquals(0, device.writeCount());
    }

    @Test
    void compareAndWriteMatchAndMiscompare() throws Exception {
        open();
        byte[] old = pattern(2, 1);
        byte[] next = pattern(2, 2);
        assertGood(run(rw10(WRITE_10, 8, 2), old));
        assertGood(run(caw(8, 2), concat(old, next)));
        assertArrayEquals(next, readBlocks(8, 2));

        byte[] stale = old.clone();
        byte[] wrongExpect = next.clone();
        wrongExpect[BS + 17] ^= 0x01;
        byte[] s = assertSense(run(caw(8, 2), concat(wrongExpect, stale)), 0x0E, 0x1D, 0x00);
        byte[] expected = new byte[18];
        expected[0] = (byte) 0xF0;
        expected[2] = 0x0E;
        Bytes.putInt(expected, 3, BS + 17);
        expected[7] = 10;
        expected[12] = 0x1D;
        assertArrayEquals(expected, s, "MISCOMPARE with the data-out offset in INFORMATION");
        assertArrayEquals(next, readBlocks(8, 2), "nothing written on miscompare");

        int flushes = device.flushCount();
        assertGood(run(with(caw(8, 2), 1, 0x08), concat(next, old)));   // FUA
        assertEquals(flushes + 1, device.flushCount());
        assertGood(run(caw(8, 0)));                                      // 0 blocks: not an error
        assertInvalidFieldInCdb(run(caw(8, 17), new byte[34 * BS]), 13, 7); // > MAXIMUM COMPARE AND WRITE LENGTH
        assertLbaOutOfRange(run(caw(BLOCKS - 1, 2), new byte[4 * BS]));
        assertSense(run(caw(8, 2), old), 0x05, 0x0E, 0x03);              // only half the data
        assertInvalidFieldInCdb(run(with(caw(8, 2), 11, 1), concat(old, next)), 11, 0); // reserved
    }

    @Test
    void concurrentCompareAndWriteOnOneBlockIsAtomic() throws Exception {
        ExecutorService deviceThreads = Executors.newFixedThreadPool(4);
        ExecutorService initiators = Executors.newFixedThreadPool(8);
        try {
            open(BLOCKS, DiskLimits.defaults(BS), deviceThreads);
            // 64 commands, 8 per expected value 0..7: each swaps value v → v+1, so value v is
            // present exactly once and exactly one of the 8 commands expecting it can succeed.
            List<CompletableFuture<ScsiResponse>> results = new ArrayList<>();
            List<Integer> expectedValues = new ArrayList<>();
            for (int round = 0; round < 8; round++) {
                for (int v = 0; v < 8; v++) {
                    int value = v;
                    expectedValues.add(value);
                    results.add(CompletableFuture.supplyAsync(() -> disk.execute(new ScsiRequest(caw(5, 1),
                            ByteBuffer.wrap(concat(filled(BS, value), filled(BS, value + 1))), 0)), initiators)
                            .thenCompose(f -> f));
                }
            }
            // Racing plain writes to a neighbouring block must not disturb anything.
            for (int i = 0; i < 16; i++) {
                results.add(disk.execute(new ScsiRequest(rw10(WRITE_10, 6, 1), ByteBuffer.wrap(filled(BS, 0x55)), 0)));
            }
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            // Retry the miscompared ones until the chain completes: 0→1→…→8.
            int[] successes = new int[8];
            for (int i = 0; i < 64; i++) {
                ScsiResponse r = results.get(i).get();
                if (r.status() == ScsiResponse.GOOD) {
                    successes[expectedValues.get(i)]++;
                } else {
                    assertSense(r, 0x0E, 0x1D, 0x00);
                }
            }
            for (int v = 0; v < 8; v++) {
                assertTrue(successes[v] <= 1, "value " + v + " swapped " + successes[v] + " times");
            }
            // Drive the chain to the end sequentially; every value must be swapped exactly once overall.
            for (int v = 0; v < 8; v++) {
                if (successes[v] == 0) {
                    assertGood(run(caw(5, 1), concat(filled(BS, v), filled(BS, v + 1))));
                    successes[v]++;
                }
            }
            assertArrayEquals(filled(BS, 8), readBlocks(5, 1));
            assertArrayEquals(filled(BS, 0x55), readBlocks(6, 1));
        } finally {
            initiators.shutdownNow();
            deviceThreads.shutdownNow();
        }
    }

    @Test
    void compareAndWriteExcludesOverlappingWrites() throws Exception {
        ExecutorService deviceThreads = Executors.newFixedThreadPool(4);
        try {
            open(BLOCKS, DiskLimits.defaults(BS), deviceThreads);
            // Counter in block 9 incremented by 200 CAWs (retrying on miscompare) while plain
            // writes hammer block 9's neighbours and reads run alongside: no lost update.
            List<CompletableFuture<?>> noise = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                noise.add(disk.execute(new ScsiRequest(rw10(WRITE_10, 8, 1), ByteBuffer.wrap(filled(BS, i)), 0)));
                noise.add(disk.execute(new ScsiRequest(rw10(READ_10, 9, 1), ScsiRequest.NO_DATA, BS)));
            }
            int value = 0;
            int done = 0;
            while (done < 20) {
                ScsiResponse r = run(caw(9, 1), concat(filled(BS, value), filled(BS, value + 1)));
                assertGood(r);
                value++;
                done++;
            }
            CompletableFuture.allOf(noise.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            assertArrayEquals(filled(BS, 20), readBlocks(9, 1));
        } finally {
            deviceThreads.shutdownNow();
        }
    }

    @Test
    void notReadyAnswersIdentityAndRefusesData() throws Exception {
        open();
        assertGood(run(rw10(WRITE_10, 0, 1), pattern(1, 1)));
        device.setReady(false);
        assertGood(run(cdb(INQUIRY, 0, 0, 0, 96, 0)));
        for (int page : new int[] {0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2}) {
            assertGood(run(cdb(INQUIRY, 1, page, 0, 96, 0)));
        }
        byte[] rc10 = data(assertGood(run(cdb(READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
        assertEquals(BLOCKS - 1, Bytes.u32(rc10, 0), "the standby disk still has its size");
        assertGood(run(cdb(SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0)));
        assertGood(run(cdb(REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0)));
        assertGood(run(cdb(MODE_SENSE_6, 0, 0x3f, 0, 255, 0)));
        assertGood(run(cdb(MODE_SENSE_10, 0, 0x3f, 0, 0, 0, 0, 0, 255, 0)));
        byte[] rs = data(assertGood(run(cdb(REQUEST_SENSE, 0, 0, 0, 18, 0))));
        assertArrayEquals(Sense.notReady().toFixedFormat(), rs);
        assertEquals(0x02, rs[2]);
        assertEquals(0x04, rs[12]);
        assertEquals(0x03, rs[13]);
        byte[] rsDesc = data(assertGood(run(cdb(REQUEST_SENSE, 1, 0, 0, 18, 0))));
        assertArrayEquals(cdb(0x72, 0x02, 0x04, 0x03, 0, 0, 0, 0), rsDesc);

        assertNotReady(run(cdb(TEST_UNIT_READY, 0, 0, 0, 0, 0)));
        assertNotReady(run(rw10(READ_10, 0, 1)));
        assertNotReady(run(rw16(WRITE_16, 0, 1), pattern(1, 2)));
        assertNotReady(run(rw10(SYNCHRONIZE_CACHE_10, 0, 0)));
        assertNotReady(run(cdb(START_STOP_UNIT, 0, 0, 0, 1, 0)));
        assertNotReady(run(unmapCdb(0)));
        assertNotReady(run(caw(0, 1), new byte[2 * BS]));
        assertNotReady(run(rw10(VERIFY_10, 0, 1)));
        // an unknown opcode is still an unknown opcode
        assertSense(run(cdb(0x04, 0, 0, 0, 0, 0)), 0x05, 0x20, 0x00);

        device.setReady(true);
        assertGood(run(cdb(TEST_UNIT_READY, 0, 0, 0, 0, 0)));
        assertArrayEquals(pattern(1, 1), readBlocks(0, 1));
        assertArrayEquals(Sense.noSense().toFixedFormat(), data(assertGood(run(cdb(REQUEST_SENSE, 0, 0, 0, 18, 0)))));
        assertEquals(5, data(assertGood(run(cdb(REQUEST_SENSE, 0, 0, 0, 5, 0)))).length);
    }

    @Test
    void startStopUnit() throws Exception {
        open();
        assertGood(run(cdb(START_STOP_UNIT, 0, 0, 0, 1, 0)));
        assertGood(run(cdb(START_STOP_UNIT, 1, 0, 0, 0, 0)));
        assertInvalidFieldInCdb(run(cdb(START_STOP_UNIT, 0, 0, 0, 0x02, 0)), 4, 1);  // LOEJ: not removable
        assertInvalidFieldInCdb(run(cdb(START_STOP_UNIT, 0, 0, 0, 0x31, 0)), 4, 5);  // power condition
    }

    @Test
    void deviceErrorsMapToDeliberateSense() throws Exception {
        open();
        device.failNextIo(Reason.IO_ERROR);
        assertSense(run(rw10(READ_10, 0, 1)), 0x03, 0x11, 0x00);
        device.failNextIo(Reason.IO_ERROR);
        assertSense(run(rw10(WRITE_10, 0, 1), pattern(1, 1)), 0x03, 0x0C, 0x00);
        device.failNextIo(Reason.IO_ERROR);
        assertSense(run(rw10(SYNCHRONIZE_CACHE_10, 0, 0)), 0x03, 0x0C, 0x00);
        device.failNextIo(Reason.JOURNAL_FULL);
        assertSense(run(rw16(WRITE_16, 0, 1), pattern(1, 1)), 0x07, 0x27, 0x07);
        device.failNextIo(Reason.NOT_READY);
        assertNotReady(run(rw10(READ_10, 0, 1)));
        device.failNextIo(Reason.OUT_OF_RANGE);
        assertLbaOutOfRange(run(rw10(READ_10, 0, 1)));
        device.failNextIo(Reason.SHUTTING_DOWN);
        ScsiResponse busy = run(rw10(WRITE_10, 0, 1), pattern(1, 1));
        assertEquals(ScsiResponse.BUSY, busy.status());
        assertEquals(0, busy.sense().length);
        assertGood(run(rw10(WRITE_10, 3, 1), filled(BS, 1)));
        device.failNextIo(Reason.JOURNAL_FULL);
        assertSense(run(ws16(3, 4, 0), filled(BS, 2)), 0x07, 0x27, 0x07);
        device.failNextIo(Reason.IO_ERROR);
        assertSense(run(unmapCdb(24), unmapList(new long[][] {{0, 1}})), 0x03, 0x0C, 0x00);
        // after all that, the disk still works and the range lock is free
        assertGood(run(caw(3, 1), concat(filled(BS, 1), filled(BS, 9))));
        assertArrayEquals(filled(BS, 9), readBlocks(3, 1));
    }

    @Test
    void deviceBugsBecomeHardwareErrorNotAHang() throws Exception {
        volume = org.blockmirror.volume.FileVolume.createFile(dir.resolve("v"), BLOCKS * BS, BS);
        device = new FileBlockDevice(volume, null) {
            @Override
            public CompletableFuture<ByteBuffer> read(long lba, int blocks) {
                throw new IllegalStateException("bug in the device");
            }
        };
        disk = new ScsiDisk(device, DiskIdentity.forVolume("x"), DiskLimits.defaults(BS));
        assertSense(run(rw10(READ_10, 0, 1)), 0x04, 0x44, 0x00);
    }

    @Test
    void limitsAreValidatedWithClearMessages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiskLimits.defaults(BS).withMaxCompareAndWriteBlocks(256));
        assertTrue(e.getMessage().contains("maxCompareAndWriteBlocks must be 1..255, was 256"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DiskLimits.defaults(BS).withMaxTransferBlocks(0));
        assertTrue(e.getMessage().contains("maxTransferBlocks must be at least 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DiskLimits.defaults(BS).withUnmap(1L << 32, 1));
        assertTrue(e.getMessage().contains("maxUnmapBlocks must be 1..2^32-1"), e.getMessage());
    }

    @Test
    void senseEncodingByteByByte() {
        assertArrayEquals(cdb(0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0xCB, 0x01, 0x02),
                Sense.invalidFieldInCdb(258, 3).toFixedFormat());
        assertArrayEquals(cdb(0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x26, 0, 0, 0x80, 0, 4),
                new Sense(SenseKey.ILLEGAL_REQUEST, AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, null,
                        new Sense.FieldPointer(false, 4, -1)).toFixedFormat());
        assertArrayEquals(cdb(0xF0, 0, 0x0E, 0x12, 0x34, 0x56, 0x78, 10, 0, 0, 0, 0, 0x1D, 0, 0, 0, 0, 0),
                Sense.of(SenseKey.MISCOMPARE, AdditionalSense.MISCOMPARE_DURING_VERIFY).withInformation(0x12345678L).toFixedFormat());
        // INFORMATION too big for 4 bytes: VALID stays 0
        assertEquals(0x70, Sense.lbaOutOfRange().withInformation(1L << 40).toFixedFormat()[0]);
        assertArrayEquals(cdb(0x72, 0x0E, 0x1D, 0, 0, 0, 0, 12, 0, 0x0A, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00),
                Sense.of(SenseKey.MISCOMPARE, AdditionalSense.MISCOMPARE_DURING_VERIFY).withInformation(256).toDescriptorFormat());
    }
}
