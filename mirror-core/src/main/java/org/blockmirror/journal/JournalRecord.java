package org.blockmirror.journal;

import java.nio.ByteBuffer;

/**
 * One record read back from the journal, verified against its header and data CRC32C.
 *
 * @param dataLength   data bytes of the record (0 for TRIM and COMPACT)
 * @param data         the data of a WRITE or PRESERVED record, {@code dataLength} bytes from its
 *                     position: a fresh heap buffer, or the buffer the reader's caller supplied
 *                     (and owns); an empty buffer for TRIM and COMPACT
 * @param fileOffset   where the record header sits in the journal file (for diagnostics)
 * @param preservedSeq PRESERVED only: the seq of the COMPACT record whose blocks it saved; else 0
 */
public record JournalRecord(long seq, long epoch, long timestampMillis, RecordType type, long lba, int blockCount,
                            int dataCrc32c, int dataLength, ByteBuffer data, long fileOffset, long preservedSeq) {

    /** Bytes the record occupies in the journal: the header sector plus the data. */
    public int diskLength() {
        return RecordHeader.SIZE + dataLength;
    }
}
