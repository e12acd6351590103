package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalException;
import org.blockmirror.journal.JournalReader;
import org.blockmirror.journal.JournalRecord;
import org.blockmirror.time.MonotonicClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's queue control (SPEC F8), behind the control command {@code queue} and
 * {@code blockmirror queue}: stop/start enqueueing, stop/start sending, and flush the oldest
 * part of the queue into the dirty map. Nothing is restarted and nothing is lost: what leaves
 * the journal is in the dirty map first, and remirror sends it.
 */
public final class QueueControl {

    /** The control command's answer (serialised to JSON as is). */
    public record Outcome(String action, String message, String mode, boolean enqueueingStopped,
                          boolean sendingStopped, Long flushedThroughSeq, Long flushedRecords, Long newlyDirtyChunks,
                          long dirtyChunks, long journalTailSeq, long journalNextSeq) {
    }

    public static final String ACTIONS = "stop-enqueue, start-enqueue, stop-send, start-send, flush";

    private static final Logger log = LoggerFactory.getLogger(QueueControl.class);

    private final WritePipeline pipeline;
    private final Replicator replicator;
    private final Journal journal;
    private final QueueControlState state;
    private final MonotonicClock clock;
    private final ZoneId zone;

    public QueueControl(WritePipeline pipeline, Replicator replicator, Journal journal, QueueControlState state,
                        MonotonicClock clock, ZoneId zone) {
        this.pipeline = pipeline;
        this.replicator = replicator;
        this.journal = journal;
        this.state = state;
        this.clock = clock;
        this.zone = zone;
    }

    /** The control command: {@code queue ACTION [flush range]}. */
    public Outcome command(List<String> args) throws IOException {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("queue: which action? one of " + ACTIONS);
        }
        String action = args.get(0);
        List<String> rest = args.subList(1, args.size());
        if (!action.equals("flush") && !rest.isEmpty()) {
            throw new IllegalArgumentException("queue " + action + " takes no arguments, got " + String.join(" ", rest));
        }
        return switch (action) {
            case "stop-enqueue" -> stopEnqueue();
            case "start-enqueue" -> startEnqueue();
            case "stop-send" -> stopSend();
            case "start-send" -> startSend();
            case "flush" -> flush(FlushRange.parse(rest, zone));
            default -> throw new IllegalArgumentException("queue: unknown action '" + action + "'; one of " + ACTIONS);
        };
    }

    public Outcome stopEnqueue() throws IOException {
        pipeline.stopEnqueueing();
        return outcome("stop-enqueue", "enqueueing stopped: host writes mark the dirty map and go to the local volume"
                + " only; the " + queued() + " queued records are still sent", null, null);
    }

    public Outcome startEnqueue() throws IOException {
        boolean journaling = pipeline.startEnqueueing();
        return outcome("start-enqueue", journaling ? "enqueueing restarted: host writes go to the journal again"
                : "enqueueing allowed: host writes go to the journal again once remirror has sent the "
                + pipeline.dirtyMap().dirtyChunks() + " dirty chunks", null, null);
    }

    public Outcome stopSend() throws IOException {
        state.setSendStopped(true);
        replicator.setSendingStopped(true);
        return outcome("stop-send", "sending stopped: records are held in the journal, the session stays open",
                null, null);
    }

    public Outcome startSend() throws IOException {
        state.setSendStopped(false);
        replicator.setSendingStopped(false);
        return outcome("start-send", "sending restarted: " + queued() + " queued records go out", null, null);
    }

    /** Turns the oldest records of the queue, as {@code range} says, into dirty-map entries and releases them. */
    public Outcome flush(FlushRange range) throws IOException {
        long through;
        if (range instanceof FlushRange.ThroughSeq t) {
            through = checkSeq(t.seq());
        } else if (range instanceof FlushRange.OlderThan o) {
            through = lastSeqBefore(Instant.ofEpochMilli(clock.wallMillis()).minus(o.age()));
        } else {
            through = lastSeqBefore(((FlushRange.Before) range).time());
        }
        JournalToMap.Result r = pipeline.moveToMap(through);
        log.warn("operator flushed the queue through seq {} ({} records) into the dirty map", through, r.records());
        return outcome("flush", "flushed " + r.records() + " records through seq " + through + " into the dirty map ("
                + r.newlyDirtyChunks() + " chunks newly dirty); remirror sends them", through, r);
    }

    private long checkSeq(long seq) {
        long tail = journal.tailSeq();
        long newest = journal.durableSeq();
        if (tail > newest) {
            throw new IllegalArgumentException(emptyQueue());
        }
        if (seq > newest) {
            throw new IllegalArgumentException("seq " + seq + " is beyond the head of the queue: the newest record is"
                    + " seq " + newest + " (the queue holds seq " + tail + " to " + newest + ")");
        }
        if (seq < tail) {
            throw new IllegalArgumentException("nothing to flush: every record through seq " + seq + " was already"
                    + " acknowledged by the remote (the queue holds seq " + tail + " to " + newest + ")");
        }
        return seq;
    }

    private String emptyQueue() {
        return "nothing to flush: the queue is empty (every record through seq " + journal.durableSeq()
                + " was acknowledged by the remote or flushed)";
    }

    /** The last seq of the longest prefix of the queue written before {@code cutoff}. */
    private long lastSeqBefore(Instant cutoff) throws IOException {
        long cutoffMillis = cutoff.toEpochMilli();
        ByteBuffer[] scratch = {ByteBuffer.allocate(0)};
        while (true) {
            long tail = journal.tailSeq();
            long newest = journal.durableSeq();
            if (tail > newest) {
                throw new IllegalArgumentException(emptyQueue());
            }
            long seq = tail;
            try {
                JournalReader reader = journal.reader(tail);
                for (; seq <= newest; seq++) {
                    JournalRecord r = reader.next(len -> {
                        if (scratch[0].capacity() < len) {
                            scratch[0] = ByteBuffer.allocate(len);
                        }
                        return scratch[0].clear().limit(len);
                    });
                    if (r == null || r.timestampMillis() >= cutoffMillis) {
                        if (seq == tail) {
                            throw new IllegalArgumentException("nothing to flush: the oldest queued record (seq " + tail
                                    + (r == null ? "" : ", written " + Instant.ofEpochMilli(r.timestampMillis()))
                                    + ") is not older than " + cutoff);
                        }
                        return seq - 1;
                    }
                }
                return newest;
            } catch (JournalException e) {
                if (journal.tailSeq() <= seq) {
                    throw e;
                }
                // acknowledged while we read: look again from the new tail
            }
        }
    }

    private long queued() {
        return Math.max(0, journal.durableSeq() - journal.tailSeq() + 1);
    }

    private Outcome outcome(String action, String message, Long through, JournalToMap.Result r) {
        return new Outcome(action, message, pipeline.mode().label(), pipeline.enqueueStopped(),
                replicator.sendingStopped(), through, r == null ? null : r.records(),
                r == null ? null : r.newlyDirtyChunks(), pipeline.dirtyMap().dirtyChunks(), journal.tailSeq(),
                journal.nextSeq());
    }
}
