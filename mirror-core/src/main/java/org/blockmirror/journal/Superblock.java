package org.blockmirror.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * One copy of the journal superblock (format version 2, big-endian; version 1, whose layout is
 * the same, is read and rewritten as 2 on open: version 2 says "records may be COMPACT or
 * PRESERVED", which a version-1 build would misread, so it must refuse the journal). Two copies live at file
 * offsets 0 and 4096; checkpoint number {@code n} is written to copy {@code n % 2}, so a torn
 * write can only damage the copy being written and the other one still holds the previous
 * checkpoint. On open the valid copy with the higher checkpoint number wins.
 *
 * <pre>
 * off len field
 *   0   4 magic 'BMJS' (0x424D4A53)
 *   4   2 format version (2; 1 accepted on read)
 *   6   2 reserved (0)
 *   8   8 checkpoint number
 *  16  16 journal UUID (most, least significant halves)
 *  32   4 block size of the mirrored volume
 *  36   4 reserved (0)
 *  40   8 region offset (file offset of the record region)
 *  48   8 region size
 *  56   8 epoch (of the last open)
 *  64   8 tail seq (oldest unacknowledged record at checkpoint time)
 *  72   8 tail offset (region offset of that record)
 *  80   8 checkpoint wall time, millis
 *  88   2 label length (0..64)
 *  90  64 label, UTF-8, zero padded
 * 154 ... zero
 * 4092  4 CRC32C of bytes 0..4091
 * </pre>
 */
record Superblock(long checkpoint, UUID journalId, int blockSize, long regionOffset, long regionSize,
                  long epoch, long tailSeq, long tailOffset, long checkpointMillis, String label) {

    static final int SIZE = 4096;
    static final int COPIES = 2;
    static final int MAGIC = 0x424D4A53;
    /** The version written. */
    static final short VERSION = 2;
    /** The oldest version read. */
    static final short MIN_VERSION = 1;
    private static final int CRC_OFFSET = SIZE - 4;

    /** File offset of the copy that checkpoint {@code n} is written to. */
    static long copyOffset(long checkpoint) {
        return (checkpoint % COPIES) * SIZE;
    }

    Superblock next(long newEpoch, long newTailSeq, long newTailOffset, long nowMillis) {
        return new Superblock(checkpoint + 1, journalId, blockSize, regionOffset, regionSize, newEpoch,
                newTailSeq, newTailOffset, nowMillis, label);
    }

    ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        byte[] labelBytes = label == null ? new byte[0] : label.getBytes(StandardCharsets.UTF_8);
        b.putInt(MAGIC)
                .putShort(VERSION)
                .putShort((short) 0)
                .putLong(checkpoint)
                .putLong(journalId.getMostSignificantBits())
                .putLong(journalId.getLeastSignificantBits())
                .putInt(blockSize)
                .putInt(0)
                .putLong(regionOffset)
                .putLong(regionSize)
                .putLong(epoch)
                .putLong(tailSeq)
                .putLong(tailOffset)
                .putLong(checkpointMillis)
                .putShort((short) labelBytes.length)
                .put(labelBytes);
        b.putInt(CRC_OFFSET, crc(b));
        return b.clear();
    }

    /** The result of reading one copy: either a superblock or why it is unusable. */
    sealed interface Copy permits Valid, NotAJournal, UnsupportedVersion, Corrupt {
    }

    record Valid(Superblock superblock) implements Copy {
    }

    record NotAJournal() implements Copy {
    }

    record UnsupportedVersion(int version) implements Copy {
    }

    record Corrupt(String reason) implements Copy {
    }

    static Copy decode(ByteBuffer b) {
        if (b.getInt(0) != MAGIC) {
            return new NotAJournal();
        }
        // The version is checked before the CRC: a future version may place its CRC elsewhere.
        int version = b.getShort(4) & 0xffff;
        if (version < MIN_VERSION || version > VERSION) {
            return new UnsupportedVersion(version);
        }
        if (b.getInt(CRC_OFFSET) != crc(b)) {
            return new Corrupt("CRC32C mismatch");
        }
        int labelLength = b.getShort(88) & 0xffff;
        if (labelLength > JournalOptions.MAX_LABEL_BYTES) {
            return new Corrupt("label length " + labelLength);
        }
        byte[] label = new byte[labelLength];
        b.get(90, label);
        Superblock sb = new Superblock(b.getLong(8), new UUID(b.getLong(16), b.getLong(24)), b.getInt(32),
                b.getLong(40), b.getLong(48), b.getLong(56), b.getLong(64), b.getLong(72), b.getLong(80),
                labelLength == 0 ? null : new String(label, StandardCharsets.UTF_8));
        String problem = sb.inconsistency();
        return problem == null ? new Valid(sb) : new Corrupt(problem);
    }

    /** Fields that passed the CRC but cannot be right (a bug or a foreign writer); null if sane. */
    private String inconsistency() {
        if (blockSize < 512 || blockSize > 65536 || Integer.bitCount(blockSize) != 1) {
            return "block size " + blockSize;
        }
        if (regionOffset < (long) COPIES * SIZE || regionOffset % RecordHeader.SIZE != 0) {
            return "region offset " + regionOffset;
        }
        if (regionSize <= 0 || regionSize % RecordHeader.SIZE != 0) {
            return "region size " + regionSize;
        }
        if (tailSeq < 1 || tailOffset < 0 || tailOffset >= regionSize || tailOffset % RecordHeader.SIZE != 0) {
            return "tail " + tailSeq + " at " + tailOffset;
        }
        if (epoch < 0) {
            return "epoch " + epoch;
        }
        return null;
    }

    private static int crc(ByteBuffer b) {
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(0).limit(CRC_OFFSET));
        return (int) crc.getValue();
    }
}
