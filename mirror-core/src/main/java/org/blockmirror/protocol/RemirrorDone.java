package org.blockmirror.protocol;

/**
 * Local → remote: every chunk is sent and acknowledged (type 18). The remote sets its applied seq
 * to {@code resumeSeq - 1}, so the journal stream continues at {@code resumeSeq}, and is
 * consistent again once its applied seq reaches {@code consistentAtSeq}. Answered by
 * {@link RemirrorDoneAck}.
 */
public record RemirrorDone(long resumeSeq, long consistentAtSeq) implements Message {

    public RemirrorDone {
        if (resumeSeq < 1) {
            throw new IllegalArgumentException("resume seq " + Long.toUnsignedString(resumeSeq) + " is not in 1..2^63-1");
        }
        if (consistentAtSeq < 0) {
            throw new IllegalArgumentException("consistent-at seq " + Long.toUnsignedString(consistentAtSeq)
                    + " is above 2^63-1");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.REMIRROR_DONE;
    }
}
