package org.blockmirror.protocol;

import java.util.Objects;

/**
 * Local → remote, verified ack mode only: the answer to {@link Verify} for {@code seq}, on the
 * connection the VERIFY came on.
 *
 * @param remoteCrc32c the CRC32C the VERIFY reported (echoed, so the remote can tell which copy of
 *     the record the verdict is about)
 * @param localCrc32c the data CRC32C the local unit's journal holds for {@code seq}
 * @param verdict ACK_ACK exactly when the two CRCs are equal, NAK when they differ
 */
public record VerifyReply(long seq, Verdict verdict, int remoteCrc32c, int localCrc32c) implements Message {

    public VerifyReply {
        Write.checkSeq(seq);
        Objects.requireNonNull(verdict, "verdict");
        String problem = inconsistency(verdict, remoteCrc32c, localCrc32c);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** The verdict the two CRCs call for. */
    public static VerifyReply judge(long seq, int remoteCrc32c, int localCrc32c) {
        return new VerifyReply(seq, remoteCrc32c == localCrc32c ? Verdict.ACK_ACK : Verdict.NAK, remoteCrc32c,
                localCrc32c);
    }

    /** Why a verdict does not fit the two CRCs, or null if it does. */
    static String inconsistency(Verdict verdict, int remoteCrc32c, int localCrc32c) {
        boolean equal = remoteCrc32c == localCrc32c;
        if (verdict == Verdict.ACK_ACK && !equal) {
            return String.format("verdict ACK_ACK, but the remote's CRC32C 0x%08x differs from the local 0x%08x",
                    remoteCrc32c, localCrc32c);
        }
        if (verdict == Verdict.NAK && equal) {
            return String.format("verdict NAK, but the remote's and the local CRC32C are both 0x%08x", remoteCrc32c);
        }
        return null;
    }

    @Override
    public FrameType frameType() {
        return FrameType.VERIFY_REPLY;
    }
}
