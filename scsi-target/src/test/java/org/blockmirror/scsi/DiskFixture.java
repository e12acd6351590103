package org.blockmirror.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.blockmirror.volume.FileVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** A ScsiDisk over a real file volume in a temp dir, plus CDB builders and sense assertions. */
abstract class DiskFixture {

    static final int BS = 512;
    static final long BLOCKS = 2048;

    @TempDir
    Path dir;
    FileVolume volume;
    FileBlockDevice device;
    ScsiDisk disk;

    void open(long blocks, DiskLimits limits, Executor executor) throws Exception {
        volume = FileVolume.createFile(dir.resolve("vol-" + System.nanoTime()), blocks * BS, BS);
        device = new FileBlockDevice(volume, executor);
        disk = new ScsiDisk(device, DiskIdentity.forVolume("vol-a"), limits);
    }

    void open() throws Exception {
        open(BLOCKS, DiskLimits.defaults(BS), null);
    }

    @AfterEach
    void closeVolume() throws Exception {
        if (volume != null) {
            volume.close();
        }
    }

    ScsiResponse run(byte[] cdb) {
        return run(cdb, ScsiRequest.NO_DATA, 1 << 24);
    }

    ScsiResponse run(byte[] cdb, byte[] dataOut) {
        return run(cdb, ByteBuffer.wrap(dataOut), 1 << 24);
    }

    ScsiResponse run(byte[] cdb, ByteBuffer dataOut, int dataInCapacity) {
        try {
            return disk.execute(new ScsiRequest(cdb, dataOut, dataInCapacity)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("execute must complete normally", e);
        }
    }

    static byte[] data(ScsiResponse r) {
        ByteBuffer b = r.dataIn().duplicate();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    static ScsiResponse assertGood(ScsiResponse r) {
        assertEquals(ScsiResponse.GOOD, r.status(), () -> "expected GOOD, sense " + hex(r.sense()));
        assertEquals(0, r.sense().length);
        return r;
    }

    /** CHECK CONDITION with fixed-format sense: key/ASC/ASCQ, and no INFORMATION, no SKSV. */
    static byte[] assertSense(ScsiResponse r, int key, int asc, int ascq) {
        assertEquals(ScsiResponse.CHECK_CONDITION, r.status(), "status");
        byte[] s = r.sense();
        assertEquals(18, s.length, "fixed-format sense length");
        assertEquals(0x70, s[0] & 0x7f, "response code");
        assertEquals(key, s[2] & 0x0f, () -> "sense key in " + hex(s));
        assertEquals(10, s[7], "additional sense length");
        assertEquals(asc, s[12] & 0xff, () -> "ASC in " + hex(s));
        assertEquals(ascq, s[13] & 0xff, () -> "ASCQ in " + hex(s));
        assertEquals(0, r.dataIn().remaining(), "no data with CHECK CONDITION");
        return s;
    }

    /** ILLEGAL REQUEST / INVALID FIELD IN CDB with SKSV, C/D=1, BPV and the pointer, byte by byte. */
    static void assertInvalidFieldInCdb(ScsiResponse r, int byteIndex, int bit) {
        byte[] s = assertSense(r, 0x05, 0x24, 0x00);
        byte[] expected = new byte[18];
        expected[0] = 0x70;
        expected[2] = 0x05;
        expected[7] = 10;
        expected[12] = 0x24;
        expected[15] = (byte) (0x80 | 0x40 | 0x08 | bit);
        expected[16] = (byte) (byteIndex >>> 8);
        expected[17] = (byte) byteIndex;
        assertArrayEquals(expected, s, () -> "sense " + hex(s));
    }

    static void assertInvalidFieldInParameterList(ScsiResponse r, int byteIndex, int bit) {
        byte[] s = assertSense(r, 0x05, 0x26, 0x00);
        assertEquals((byte) (0x80 | 0x08 | bit), s[15], () -> "SKSV/C-D/BPV in " + hex(s));
        assertEquals(byteIndex, ((s[16] & 0xff) << 8) | (s[17] & 0xff), "field pointer");
    }

    static void assertLbaOutOfRange(ScsiResponse r) {
        byte[] s = assertSense(r, 0x05, 0x21, 0x00);
        assertEquals(0, s[15], "no field pointer");
    }

    static void assertNotReady(ScsiResponse r) {
        byte[] s = assertSense(r, 0x02, 0x04, 0x03);
        assertEquals(0x70, s[0] & 0xff, "VALID=0");
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x ", x));
        }
        return sb.toString().trim();
    }

    // ---- CDB builders ----

    static byte[] cdb(int... bytes) {
        byte[] c = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            c[i] = (byte) bytes[i];
        }
        return c;
    }

    static byte[] rw6(int op, long lba, int blocks) {
        return cdb(op, (int) (lba >>> 16) & 0x1f, (int) (lba >>> 8), (int) lba, blocks, 0);
    }

    static byte[] rw10(int op, long lba, int blocks) {
        byte[] c = new byte[10];
        c[0] = (byte) op;
        Bytes.putInt(c, 2, lba);
        Bytes.putShort(c, 7, blocks);
        return c;
    }

    static byte[] rw12(int op, long lba, long blocks) {
        byte[] c = new byte[12];
        c[0] = (byte) op;
        Bytes.putInt(c, 2, lba);
        Bytes.putInt(c, 6, blocks);
        return c;
    }

    static byte[] rw16(int op, long lba, long blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) op;
        Bytes.putLong(c, 2, lba);
        Bytes.putInt(c, 10, blocks);
        return c;
    }

    static byte[] with(byte[] cdb, int index, int value) {
        byte[] c = cdb.clone();
        c[index] = (byte) value;
        return c;
    }

    static byte[] pattern(int blocks, int seed) {
        byte[] b = new byte[blocks * BS];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >>> 9));
        }
        return b;
    }

    static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    byte[] readBlocks(long lba, int blocks) {
        return data(assertGood(run(rw16(CommandSet.READ_16, lba, blocks))));
    }
}
