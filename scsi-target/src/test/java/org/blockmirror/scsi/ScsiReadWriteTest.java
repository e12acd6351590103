package org.blockmirror.scsi;

import static org.blockmirror.scsi.CommandSet.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScsiReadWriteTest extends DiskFixture {

    @BeforeEach
    void setUp() throws Exception {
        open();
    }

    @Test
    void roundTripAtEveryCdbSize() {
        byte[] a = pattern(3, 1);
        assertGood(run(rw6(WRITE_6, 10, 3), a));
        assertArrayEquals(a, data(assertGood(run(rw6(READ_6, 10, 3)))));

        byte[] b = pattern(4, 2);
        assertGood(run(rw10(WRITE_10, 100, 4), b));
        assertArrayEquals(b, data(assertGood(run(rw10(READ_10, 100, 4)))));

        byte[] c = pattern(5, 3);
        assertGood(run(rw12(WRITE_12, 200, 5), c));
        assertArrayEquals(c, data(assertGood(run(rw12(READ_12, 200, 5)))));

        byte[] d = pattern(6, 4);
        assertGood(run(rw16(WRITE_16, BLOCKS - 6, 6), d));
        assertArrayEquals(d, data(assertGood(run(rw16(READ_16, BLOCKS - 6, 6)))));
        // every size reads what any other wrote
        assertArrayEquals(b, data(assertGood(run(rw16(READ_16, 100, 4)))));
        assertArrayEquals(a, readBlocks(10, 3));
    }

    @Test
    void sixByteTransferLengthZeroMeans256Blocks() {
        byte[] data = pattern(256, 9);
        assertGood(run(rw6(WRITE_6, 0, 0), data));
        byte[] back = data(assertGood(run(rw6(READ_6, 0, 0))));
        assertEquals(256 * BS, back.length);
        assertArrayEquals(data, back);
    }

    @ParameterizedTest
    @ValueSource(ints = {READ_10, WRITE_10, READ_12, WRITE_12, READ_16, WRITE_16})
    void transferLengthZeroIsNoTransferAndNoError(int op) {
        byte[] c = op == READ_10 || op == WRITE_10 ? rw10(op, 5, 0) : op == READ_12 || op == WRITE_12 ? rw12(op, 5, 0) : rw16(op, 5, 0);
        ScsiResponse r = assertGood(run(c));
        assertEquals(0, r.dataIn().remaining());
        assertEquals(0, device.writeCount());
    }

    @Test
    void outOfRangeIncludingLbaPlusLengthOverflow() {
        assertLbaOutOfRange(run(rw10(READ_10, BLOCKS, 1)));
        assertLbaOutOfRange(run(rw10(READ_10, BLOCKS - 1, 2)));
        assertLbaOutOfRange(run(rw10(READ_10, BLOCKS + 1, 0)));       // 0 blocks one past the end
        assertGood(run(rw10(READ_10, BLOCKS, 0)));                      // 0 blocks at the end: fine
        assertLbaOutOfRange(run(rw10(READ_10, 0xFFFFFFFFL, 1)));
        assertLbaOutOfRange(run(rw16(READ_16, -1L, 1)));               // 2^64-1
        assertLbaOutOfRange(run(rw16(READ_16, -1L, 0)));
        assertLbaOutOfRange(run(rw16(READ_16, 0x8000000000000000L, 1)));
        assertLbaOutOfRange(run(rw16(WRITE_16, -2L, 4), pattern(4, 1))); // lba + len wraps past 2^64
        assertLbaOutOfRange(run(rw6(READ_6, BLOCKS - 1, 2)));
        assertLbaOutOfRange(run(rw12(WRITE_12, BLOCKS - 1, 2), pattern(2, 1)));
        assertEquals(0, device.writeCount());
    }

    @Test
    void transferLongerThanMaximumTransferLengthIsInvalidField() throws Exception {
        closeVolume();
        open(BLOCKS, DiskLimits.defaults(BS).withMaxTransferBlocks(8), null);
        assertGood(run(rw10(READ_10, 0, 8)));
        assertInvalidFieldInCdb(run(rw10(READ_10, 0, 9)), 7, 7);
        assertInvalidFieldInCdb(run(rw12(READ_12, 0, 9)), 6, 7);
        assertInvalidFieldInCdb(run(rw16(WRITE_16, 0, 9), pattern(9, 1)), 10, 7);
        assertInvalidFieldInCdb(run(rw6(READ_6, 0, 0)), 4, 7); // 256 blocks
        assertEquals(0, device.writeCount());
    }

    @ParameterizedTest
    @ValueSource(ints = {READ_10, WRITE_10, READ_12, WRITE_12, READ_16, WRITE_16, VERIFY_10, VERIFY_16,
            WRITE_AND_VERIFY_10, WRITE_AND_VERIFY_16})
    void protectionFieldsAreRejected(int op) {
        byte[] base = switch (op) {
            case READ_10, WRITE_10, VERIFY_10, WRITE_AND_VERIFY_10 -> rw10(op, 0, 1);
            case READ_12, WRITE_12 -> rw12(op, 0, 1);
            default -> rw16(op, 0, 1);
        };
        for (int protect = 1; protect <= 7; protect++) {
            assertInvalidFieldInCdb(run(with(base, 1, protect << 5), pattern(1, 1)), 1, 7);
        }
        assertEquals(0, device.writeCount());
    }

    @Test
    void reservedBitsAreRejectedWithPointerToTheBit() {
        assertInvalidFieldInCdb(run(with(rw10(READ_10, 0, 1), 1, 0x01)), 1, 0);      // obsolete RELADR
        assertInvalidFieldInCdb(run(with(rw10(READ_10, 0, 1), 6, 0x20)), 6, 5);      // byte 6 reserved
        assertInvalidFieldInCdb(run(with(rw10(WRITE_10, 0, 1), 1, 0x04), pattern(1, 1)), 1, 2);
        assertInvalidFieldInCdb(run(with(rw16(READ_16, 0, 1), 15, 0x04)), 15, 2);    // NACA
        assertInvalidFieldInCdb(run(with(rw6(READ_6, 0, 1), 5, 0x01)), 5, 0);        // LINK
        assertInvalidFieldInCdb(run(with(rw12(READ_12, 0, 1), 10, 0x80)), 10, 7);
    }

    @Test
    void dpoFuaAndGroupNumberAreAccepted() {
        int before = device.flushCount();
        byte[] d = pattern(2, 5);
        assertGood(run(with(with(rw10(WRITE_10, 40, 2), 1, 0x18), 6, 0x1f), d)); // DPO + FUA, group 31
        assertEquals(before + 1, device.flushCount(), "FUA write is flushed before GOOD");
        assertGood(run(with(rw16(WRITE_16, 42, 2), 1, 0x10), d));                 // DPO only: no flush
        assertEquals(before + 1, device.flushCount());
        assertArrayEquals(d, data(assertGood(run(with(rw10(READ_10, 40, 2), 1, 0x18)))));
    }

    @Test
    void shortDataOutIsRejectedAndNothingIsWritten() {
        ScsiResponse r = run(rw10(WRITE_10, 0, 4), pattern(3, 1));
        assertSense(r, 0x05, 0x0E, 0x03);
        assertEquals(0, device.writeCount());
    }

    @Test
    void readIsTruncatedToTheTransportCapacity() {
        byte[] d = pattern(4, 7);
        assertGood(run(rw10(WRITE_10, 0, 4), d));
        ScsiResponse r = assertGood(run(rw10(READ_10, 0, 4), ScsiRequest.NO_DATA, 1000));
        assertArrayEquals(Arrays.copyOf(d, 1000), data(r));
    }

    @Test
    void verifyWithoutByteCheckOnlyChecksTheRange() {
        assertGood(run(rw10(VERIFY_10, 0, 100)));
        assertGood(run(rw16(VERIFY_16, BLOCKS - 1, 1)));
        assertLbaOutOfRange(run(rw10(VERIFY_10, BLOCKS - 1, 2)));
        assertLbaOutOfRange(run(rw16(VERIFY_16, -1L, 0)));
    }

    @Test
    void verifyByteCheckComparesAndReportsTheMiscompareOffset() {
        byte[] d = pattern(2, 11);
        assertGood(run(rw10(WRITE_10, 50, 2), d));
        assertGood(run(with(rw10(VERIFY_10, 50, 2), 1, 0x02), d));
        assertGood(run(with(rw16(VERIFY_16, 50, 2), 1, 0x02), d));
        byte[] wrong = d.clone();
        wrong[700] ^= 1;
        byte[] s = assertSense(run(with(rw10(VERIFY_10, 50, 2), 1, 0x02), wrong), 0x0E, 0x1D, 0x00);
        assertEquals(0xF0, s[0] & 0xff, "VALID + 0x70");
        assertEquals(700, Bytes.u32(s, 3), "INFORMATION = offset of first differing byte");
        assertInvalidFieldInCdb(run(with(rw10(VERIFY_10, 50, 2), 1, 0x04), d), 1, 2); // BYTCHK=10b
    }

    @Test
    void verifyByteCheckOneBlockAgainstEveryBlock() {
        byte[] block = pattern(1, 3);
        byte[] three = new byte[3 * BS];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(block, 0, three, i * BS, BS);
        }
        assertGood(run(rw10(WRITE_10, 7, 3), three));
        assertGood(run(with(rw10(VERIFY_10, 7, 3), 1, 0x06), block));
        three[2 * BS + 5] ^= 0x40;
        assertGood(run(rw10(WRITE_10, 7, 3), three));
        byte[] s = assertSense(run(with(rw10(VERIFY_10, 7, 3), 1, 0x06), block), 0x0E, 0x1D, 0x00);
        assertEquals(2 * BS + 5, Bytes.u32(s, 3));
    }

    @Test
    void writeAndVerifyWritesAndComparesBack() {
        byte[] d = pattern(3, 21);
        assertGood(run(rw10(WRITE_AND_VERIFY_10, 300, 3), d));
        assertArrayEquals(d, readBlocks(300, 3));
        byte[] e = pattern(3, 22);
        assertGood(run(with(rw16(WRITE_AND_VERIFY_16, 300, 3), 1, 0x02), e));
        assertArrayEquals(e, readBlocks(300, 3));
        assertInvalidFieldInCdb(run(with(rw16(WRITE_AND_VERIFY_16, 300, 3), 1, 0x06), e), 1, 2);
        assertLbaOutOfRange(run(rw16(WRITE_AND_VERIFY_16, BLOCKS - 2, 3), pattern(3, 1)));
    }

    @Test
    void synchronizeCacheFlushesAndChecksTheRange() {
        int before = device.flushCount();
        assertGood(run(rw10(SYNCHRONIZE_CACHE_10, 0, 0)));
        assertGood(run(rw16(SYNCHRONIZE_CACHE_16, 10, 20)));
        assertGood(run(with(rw10(SYNCHRONIZE_CACHE_10, 0, 0), 1, 0x02))); // IMMED
        assertEquals(before + 3, device.flushCount());
        assertLbaOutOfRange(run(rw10(SYNCHRONIZE_CACHE_10, BLOCKS + 1, 0)));
        assertLbaOutOfRange(run(rw16(SYNCHRONIZE_CACHE_16, BLOCKS - 1, 2)));
        assertInvalidFieldInCdb(run(with(rw16(SYNCHRONIZE_CACHE_16, 0, 0), 1, 0x04)), 1, 2);
    }

    @Test
    void largeDiskUsesFullSixtyFourBitLbas() throws Exception {
        closeVolume();
        long blocks = (1L << 32) + 8; // a sparse 2 TiB file
        open(blocks, DiskLimits.defaults(BS), null);
        byte[] d = pattern(2, 77);
        long lba = (1L << 32) + 3;
        assertGood(run(rw16(WRITE_16, lba, 2), d));
        assertArrayEquals(d, data(assertGood(run(rw16(READ_16, lba, 2)))));
        assertLbaOutOfRange(run(rw16(READ_16, blocks - 1, 2)));
        // READ(10) can address the first 2^32 blocks only; its LBA never wraps into this region
        assertArrayEquals(new byte[BS], data(assertGood(run(rw10(READ_10, 3, 1)))));
    }

    @Test
    void dataOutBufferIsNotConsumed() {
        ByteBuffer d = ByteBuffer.wrap(pattern(1, 1));
        run(rw10(WRITE_10, 0, 1), d, 0);
        assertEquals(0, d.position());
        assertEquals(BS, d.remaining());
    }
}
