package org.blockmirror.journal;

import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The 512-byte header sector that starts every journal record (format version 2, big-endian;
 * version 1 headers, which lack types 4 and 5, are still read).
 *
 * <pre>
 * off len field
 *   0   4 magic 'BMJR' (0x424D4A52)
 *   4   2 format version (2; 1 accepted on read)
 *   6   1 type (1 WRITE, 2 TRIM, 3 PAD, 4 COMPACT, 5 PRESERVED)
 *   7   1 flags (0)
 *   8   8 seq
 *  16   8 epoch
 *  24   8 timestamp, wall-clock millis
 *  32   8 LBA
 *  40   4 block count
 *  44   4 data length in bytes (WRITE, PRESERVED: blockCount * blockSize; TRIM, PAD, COMPACT: 0)
 *  48   4 CRC32C of the data (0 without data)
 *  52   4 reserved (0)
 *  56  16 journal UUID (most, least significant halves)
 *  72   8 preserved seq: PRESERVED only, the seq of the COMPACT record whose blocks it saves (else 0)
 *  80 428 zero
 * 508   4 CRC32C of bytes 0..507
 * </pre>
 * The data (if any) follows in the next sectors; its length is a multiple of 512.
 */
record RecordHeader(RecordType type, long seq, long epoch, long timestampMillis, long lba, int blockCount,
                    int dataLength, int dataCrc32c, long preservedSeq) {

    static final int SIZE = 512;
    static final int MAGIC = 0x424D4A52;
    /** The version written. */
    static final short VERSION = 2;
    /** The oldest version read (a journal written by an older build, then opened by this one). */
    static final short MIN_VERSION = 1;
    private static final int CRC_OFFSET = SIZE - 4;

    /** Encodes this header into the next 512 bytes of {@code dst}. */
    void encode(ByteBuffer dst, UUID journalId) {
        int start = dst.position();
        dst.putInt(MAGIC)
                .putShort(VERSION)
                .put((byte) type.code())
                .put((byte) 0)
                .putLong(seq)
                .putLong(epoch)
                .putLong(timestampMillis)
                .putLong(lba)
                .putInt(blockCount)
                .putInt(dataLength)
                .putInt(dataCrc32c)
                .putInt(0)
                .putLong(journalId.getMostSignificantBits())
                .putLong(journalId.getLeastSignificantBits())
                .putLong(preservedSeq);
        while (dst.position() < start + CRC_OFFSET) {
            dst.put((byte) 0);
        }
        dst.putInt(crc(dst, start, CRC_OFFSET));
    }

    /**
     * Decodes the 512 bytes at {@code src}'s position (absolute reads; position unchanged).
     *
     * @throws InvalidRecordException if the sector is not a version-1 or -2 record header of this journal
     */
    static RecordHeader decode(ByteBuffer src, UUID journalId) throws InvalidRecordException {
        int p = src.position();
        if (src.getInt(p) != MAGIC) {
            throw new InvalidRecordException("no record header (bad magic)");
        }
        int storedCrc = src.getInt(p + CRC_OFFSET);
        int actualCrc = crc(src, p, CRC_OFFSET);
        if (storedCrc != actualCrc) {
            throw new InvalidRecordException("record header CRC32C mismatch");
        }
        short version = src.getShort(p + 4);
        if (version < MIN_VERSION || version > VERSION) {
            throw new InvalidRecordException("record header format version " + version + " is not " + MIN_VERSION
                    + ".." + VERSION);
        }
        if (src.getLong(p + 56) != journalId.getMostSignificantBits()
                || src.getLong(p + 64) != journalId.getLeastSignificantBits()) {
            throw new InvalidRecordException("record header belongs to another journal (UUID differs)");
        }
        RecordType type = RecordType.fromCode(src.get(p + 6) & 0xff);
        if (type == null) {
            throw new InvalidRecordException("unknown record type " + (src.get(p + 6) & 0xff));
        }
        if (type.sinceVersion() > version) {
            throw new InvalidRecordException("a version-" + version + " record header cannot be of type " + type);
        }
        return new RecordHeader(type, src.getLong(p + 8), src.getLong(p + 16), src.getLong(p + 24),
                src.getLong(p + 32), src.getInt(p + 40), src.getInt(p + 44), src.getInt(p + 48),
                version >= 2 ? src.getLong(p + 72) : 0);
    }

    /**
     * Checks the lengths against the journal geometry; a header with a valid CRC but impossible
     * lengths is treated as invalid, never trusted.
     */
    void checkShape(int blockSize, long regionSize) throws InvalidRecordException {
        switch (type) {
            case WRITE -> {
                if (blockCount <= 0 || (long) blockCount * blockSize != dataLength) {
                    throw new InvalidRecordException("WRITE record " + seq + " has " + blockCount
                            + " blocks but " + dataLength + " data bytes");
                }
            }
            case TRIM -> {
                if (blockCount <= 0 || dataLength != 0) {
                    throw new InvalidRecordException("TRIM record " + seq + " has " + blockCount
                            + " blocks and " + dataLength + " data bytes");
                }
            }
            case PAD -> {
                if (blockCount != 0 || dataLength != 0) {
                    throw new InvalidRecordException("PAD record " + seq + " carries a length");
                }
            }
            case COMPACT -> {
                if (blockCount <= 0 || dataLength != 0) {
                    throw new InvalidRecordException("COMPACT record " + seq + " has " + blockCount
                            + " blocks and " + dataLength + " data bytes");
                }
            }
            case PRESERVED -> {
                if (blockCount <= 0 || (long) blockCount * blockSize != dataLength) {
                    throw new InvalidRecordException("PRESERVED record " + seq + " has " + blockCount
                            + " blocks but " + dataLength + " data bytes");
                }
                if (preservedSeq < 1 || preservedSeq >= seq) {
                    throw new InvalidRecordException("PRESERVED record " + seq + " refers to seq " + preservedSeq
                            + ", which is not an earlier record");
                }
            }
        }
        if (type != RecordType.PRESERVED && preservedSeq != 0) {
            throw new InvalidRecordException(type + " record " + seq + " carries a preserved seq");
        }
        if (SIZE + (long) dataLength > regionSize) {
            throw new InvalidRecordException("record " + seq + " is longer than the region");
        }
    }

    /** Region bytes this record occupies (a PAD's extent depends on its position, not on the header). */
    long length() {
        return SIZE + (long) dataLength;
    }

    static int crc(ByteBuffer buf, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(buf.duplicate().limit(offset + length).position(offset));
        return (int) crc.getValue();
    }
}
