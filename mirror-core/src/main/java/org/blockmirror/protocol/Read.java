package org.blockmirror.protocol;

/**
 * Local → remote, fail-over (docs/wire-protocol.md §4.11): read {@code blockCount} blocks at
 * {@code lba} from the remote copy once it has applied every record up to {@code seeSeq}. The
 * local unit sends it when its own volume failed (reads through the peer) and to copy the remote
 * onto a replaced volume. Answered by exactly one {@link ReadData} with the same request id, on
 * the connection the READ came on.
 *
 * @param requestId chosen by the local unit, echoed in the answer; any value
 * @param seeSeq the answer must reflect every record up to this seq (0: none)
 * @param lba first logical block, 0..2^63-1
 * @param blockCount 1..2^31-1 blocks
 * @param waitMillis how long the remote may wait for its applied seq to reach {@code seeSeq}
 *     before answering {@link ReadStatus#NOT_IN_SYNC}
 */
public record Read(long requestId, long seeSeq, long lba, int blockCount, int waitMillis) implements Message {

    /** Fixed payload length. */
    public static final int LENGTH = 32;

    public Read {
        if (seeSeq < 0) {
            throw new IllegalArgumentException("seq to see " + Long.toUnsignedString(seeSeq) + " is above 2^63-1");
        }
        if (lba < 0) {
            throw new IllegalArgumentException("LBA " + Long.toUnsignedString(lba) + " is above 2^63-1");
        }
        if (blockCount < 1) {
            throw new IllegalArgumentException("block count " + Integer.toUnsignedString(blockCount)
                    + " is not in 1..2^31-1");
        }
        if (waitMillis < 0) {
            throw new IllegalArgumentException("wait " + Integer.toUnsignedString(waitMillis)
                    + " ms is not in 0..2^31-1");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.READ;
    }
}
