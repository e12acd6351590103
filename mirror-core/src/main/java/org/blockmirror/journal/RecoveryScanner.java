package org.blockmirror.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Finds the head after an open (clean or crashed): starts at the persisted tail and walks the
 * chain of records, accepting one only if
 * <ul>
 *   <li>its header and data CRC32C are valid and it belongs to this journal (UUID),</li>
 *   <li>its seq is exactly the next expected one (a PAD repeats the seq of the record after it),</li>
 *   <li>its epoch is at least the previous record's and below the epoch being started.</li>
 * </ul>
 * The first position that fails is the head. Only the live region (tail to head) is read, and
 * every live record is verified. See docs/journal-format.md for why this is correct.
 */
final class RecoveryScanner {

    /** Where the scan ended. Positions are logical: the tail's region offset is position tailOffset. */
    record Result(long headSeq, long headPosition, long records, String stopReason) {
    }

    private final JournalFile file;
    private final Superblock sb;
    private final ByteBuffer header = ByteBuffer.allocate(RecordHeader.SIZE);

    RecoveryScanner(JournalFile file, Superblock sb) {
        this.file = file;
        this.sb = sb;
    }

    /**
     * Scans from the persisted tail; every accepted record's position is added to {@code index}.
     *
     * @param newEpoch the epoch of the run about to start; records must be older
     */
    Result scan(long newEpoch, PositionIndex index) throws IOException {
        long region = sb.regionSize();
        long start = sb.tailOffset();
        long position = start;
        long expectedSeq = sb.tailSeq();
        long lastEpoch = 0;
        long records = 0;
        while (true) {
            long offset = position % region;
            long used = position - start;
            if (used + RecordHeader.SIZE > region) {
                return new Result(expectedSeq, position, records, "the whole region holds valid records");
            }
            RecordHeader h;
            try {
                h = readHeader(offset);
                h.checkShape(sb.blockSize(), region);
                if (h.seq() != expectedSeq) {
                    throw new InvalidRecordException("found seq " + h.seq() + " where seq " + expectedSeq + " was expected");
                }
                if (h.epoch() >= newEpoch || h.epoch() < lastEpoch || h.epoch() < 1) {
                    throw new InvalidRecordException("seq " + h.seq() + " has epoch " + h.epoch() + " (chain epoch "
                            + lastEpoch + ", new epoch " + newEpoch + "): a stale record from before an earlier recovery");
                }
                if (h.type() == RecordType.PAD) {
                    if (offset == 0) {
                        throw new InvalidRecordException("PAD at the region start");
                    }
                    lastEpoch = h.epoch();
                    position += region - offset;
                    continue;
                }
                if (offset + h.length() > region) {
                    throw new InvalidRecordException("seq " + h.seq() + " would cross the region end");
                }
                if (used + h.length() > region) {
                    throw new InvalidRecordException("seq " + h.seq() + " would overlap the tail");
                }
                checkData(offset, h);
            } catch (InvalidRecordException e) {
                return new Result(expectedSeq, position, records,
                        "at region offset " + offset + ": " + e.getMessage());
            }
            index.add(expectedSeq, position);
            records++;
            expectedSeq++;
            lastEpoch = h.epoch();
            position += h.length();
        }
    }

    private RecordHeader readHeader(long offset) throws IOException, InvalidRecordException {
        header.clear();
        file.read(sb.regionOffset() + offset, header);
        header.flip();
        return RecordHeader.decode(header, sb.journalId());
    }

    private void checkData(long offset, RecordHeader h) throws IOException, InvalidRecordException {
        if (h.dataLength() == 0) {
            if (h.dataCrc32c() != 0) {
                throw new InvalidRecordException("seq " + h.seq() + " has a data CRC but no data");
            }
            return;
        }
        ByteBuffer data = ByteBuffer.allocate(h.dataLength());
        file.read(sb.regionOffset() + offset + RecordHeader.SIZE, data);
        CRC32C crc = new CRC32C();
        crc.update(data.flip());
        if ((int) crc.getValue() != h.dataCrc32c()) {
            throw new InvalidRecordException("seq " + h.seq() + " data CRC32C mismatch (torn or corrupt write)");
        }
    }
}
