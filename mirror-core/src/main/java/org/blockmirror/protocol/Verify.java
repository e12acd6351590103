package org.blockmirror.protocol;

/**
 * Remote → local, verified ack mode only: the remote holds WRITE {@code seq} and computed
 * {@code dataCrc32c} over the data it will write (for a TRIM the CRC32C of nothing, 0). It
 * writes nothing for this seq until the local unit answers with a {@link VerifyReply}.
 * Sent on the connection the WRITE came on.
 */
public record Verify(long seq, int dataCrc32c) implements Message {

    public Verify {
        Write.checkSeq(seq);
    }

    @Override
    public FrameType frameType() {
        return FrameType.VERIFY;
    }
}
