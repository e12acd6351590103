package org.blockmirror.journal;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * How a journal is formatted and opened.
 *
 * @param blockSize            block size of the mirrored volume (512..65536, a power of two);
 *                             stored at format, checked at open
 * @param label                format: the label to store (null = none); open: the label the
 *                             journal must carry (null = do not check). At most 64 UTF-8 bytes.
 * @param maxRecordDataBytes   largest data payload of one record; the region must hold two of them
 * @param commitBufferBytes    in-memory group-commit buffer; appends beyond it are written out
 *                             (not yet synced) before buffering more
 * @param checkpointFraction   persist the tail once this fraction of the region was freed since
 *                             the last checkpoint
 * @param checkpointIntervalNanos persist a moved tail at least this often (checked on sync)
 */
public record JournalOptions(int blockSize, String label, int maxRecordDataBytes, int commitBufferBytes,
                             double checkpointFraction, long checkpointIntervalNanos) {

    public static final int MAX_LABEL_BYTES = 64;
    static final int DEFAULT_MAX_RECORD_DATA = 1 << 20;

    public JournalOptions {
        if (blockSize < 512 || blockSize > 65536 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("journal block size " + blockSize
                    + " is not a power of two between 512 and 65536");
        }
        if (label != null && label.getBytes(StandardCharsets.UTF_8).length > MAX_LABEL_BYTES) {
            throw new IllegalArgumentException("journal label '" + label + "' is longer than "
                    + MAX_LABEL_BYTES + " UTF-8 bytes");
        }
        if (maxRecordDataBytes < blockSize || maxRecordDataBytes % blockSize != 0) {
            throw new IllegalArgumentException("max record data " + maxRecordDataBytes
                    + " must be a positive multiple of the block size " + blockSize);
        }
        int minBuffer = 2 * RecordHeader.SIZE + maxRecordDataBytes;
        if (commitBufferBytes < minBuffer || commitBufferBytes % RecordHeader.SIZE != 0) {
            throw new IllegalArgumentException("commit buffer " + commitBufferBytes
                    + " must be a multiple of 512 and at least " + minBuffer + " (PAD + header + max data)");
        }
        if (!(checkpointFraction > 0 && checkpointFraction <= 1)) {
            throw new IllegalArgumentException("checkpoint fraction " + checkpointFraction + " must be in (0, 1]");
        }
        if (checkpointIntervalNanos <= 0) {
            throw new IllegalArgumentException("checkpoint interval must be positive");
        }
    }

    /** Defaults: no label, 1 MiB records, 4 MiB commit buffer, checkpoint every 1/8 region or second. */
    public static JournalOptions of(int blockSize) {
        return new JournalOptions(blockSize, null, Math.max(DEFAULT_MAX_RECORD_DATA, blockSize),
                4 << 20, 1.0 / 8, TimeUnit.SECONDS.toNanos(1));
    }

    public JournalOptions withLabel(String newLabel) {
        return new JournalOptions(blockSize, newLabel, maxRecordDataBytes, commitBufferBytes,
                checkpointFraction, checkpointIntervalNanos);
    }

    /** Sets the record limit and sizes the commit buffer to hold at least a few such records. */
    public JournalOptions withMaxRecordDataBytes(int maxData) {
        int buffer = Math.max(commitBufferBytes, 4 * (RecordHeader.SIZE + maxData));
        return new JournalOptions(blockSize, label, maxData, buffer, checkpointFraction, checkpointIntervalNanos);
    }

    public JournalOptions withCommitBufferBytes(int bytes) {
        return new JournalOptions(blockSize, label, maxRecordDataBytes, bytes, checkpointFraction,
                checkpointIntervalNanos);
    }

    public JournalOptions withCheckpointPolicy(double fraction, long interval, TimeUnit unit) {
        return new JournalOptions(blockSize, label, maxRecordDataBytes, commitBufferBytes, fraction,
                unit.toNanos(interval));
    }

    /** Region bytes one record of {@code dataBytes} occupies: header sector plus data. */
    static long recordLength(int dataBytes) {
        return RecordHeader.SIZE + (long) dataBytes;
    }
}
