package org.blockmirror.tcmu;

import static org.blockmirror.tcmu.TcmuAbi.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.blockmirror.block.SubmissionBatch;
import org.blockmirror.scsi.ScsiCommandHandler;
import org.blockmirror.scsi.ScsiRequest;
import org.blockmirror.scsi.ScsiResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCMU command-ring protocol, and nothing else: reads entries the kernel published between
 * our read position and {@code cmd_head}, hands every CMD to a {@link ScsiCommandHandler}, and
 * writes responses back, advancing {@code cmd_tail}.
 *
 * <p>Completion model. Every entry we have read but not yet retired is kept, in ring order, as a
 * {@link Slot}. PAD, TMR and unknown-op entries need no answer and are retired as soon as they
 * reach the tail. A CMD slot is retired by writing a response into it:
 * <ul>
 * <li>with {@code TCMU_MAILBOX_FLAG_CAP_OOOC} the kernel finds the command by the cmd_id in the
 *     slot, so the first finished command (in completion order) is written into the CMD slot at
 *     the tail, with its own cmd_id: commands complete as their futures complete;
 * <li>without it, a slot only ever receives its own command's response, so a finished command
 *     waits until every earlier command has finished (strict ring order).
 * </ul>
 * Because a response may overwrite another command's entry, everything a command needs from the
 * entry (CDB, iovecs) is copied out of the ring when the entry is read. Data-out is not in the
 * entry but in the data area, whose blocks stay the command's until the kernel reads its
 * completion: data-out in one iovec is lent to the handler as a read-only view of the mapping
 * (no copy; the handler is done with it when it completes, {@link org.blockmirror.block.BlockDevice}
 * contract); data-out in several iovecs is gathered once, into a pooled direct buffer
 * ({@link DataOutBuffers}) that comes back when the command's response is written.
 *
 * <p>Safety. Every offset and length read from the ring is checked against the ring and the
 * mapping before use. A malformed entry fails the ring ({@link TcmuRingException}): reading stops
 * there, and no further completion is written to the mapping.
 *
 * <p>Threading: {@link #processNewEntries()} is called by one thread (the device's event loop);
 * completions arrive on any thread. Ring state is guarded by this object's monitor; the handler
 * is never called with the monitor held.
 */
public final class TcmuRing {
    private static final Logger log = LoggerFactory.getLogger(TcmuRing.class);

    /** Fixed-format sense: HARDWARE ERROR / INTERNAL TARGET FAILURE (44h/00h). */
    private static final byte[] INTERNAL_TARGET_FAILURE = {
            0x70, 0, 0x04, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x44, 0x00, 0, 0, 0, 0};

    private final String name;
    private final RingMemory memory;
    private final ScsiCommandHandler handler;
    private final KernelDoorbell doorbell;
    private final int flags;
    private final long cmdrOff;
    private final long cmdrSize;
    private final long dataOff;

    // Guarded by this.
    private long readOffset;
    private long tail;
    private final ArrayDeque<Slot> unretired = new ArrayDeque<>();
    private final ArrayDeque<Command> finishedOutOfOrder = new ArrayDeque<>();
    private final DataOutBuffers dataOutBuffers = new DataOutBuffers();
    private int awaitingCompletion;
    /** The thread inside {@link #processNewEntries}'s dispatch loop: its completions kick once, at the end. */
    private Thread dispatchingThread;
    private boolean kickDeferred;
    private TcmuRingException failure;
    private boolean closed;

    private TcmuRing(String name, RingMemory memory, ScsiCommandHandler handler, KernelDoorbell doorbell,
                     int flags, long cmdrOff, long cmdrSize, long tail) {
        this.name = name;
        this.memory = memory;
        this.handler = handler;
        this.doorbell = doorbell;
        this.flags = flags;
        this.cmdrOff = cmdrOff;
        this.cmdrSize = cmdrSize;
        this.dataOff = cmdrOff + cmdrSize;
        this.tail = tail;
        this.readOffset = tail;
    }

    /**
     * Validates the mailbox and attaches to the ring. Reading resumes at the mailbox's
     * {@code cmd_tail}: entries a previous (crashed) process read but never answered are read again.
     *
     * @throws TcmuRingException if the mailbox version or geometry is not what we understand
     */
    public static TcmuRing attach(String name, RingMemory memory, ScsiCommandHandler handler,
                                  KernelDoorbell doorbell) {
        if (memory.size() < MAILBOX_SIZE) {
            throw new TcmuRingException(name + ": mapping of " + memory.size()
                    + " bytes is smaller than the TCMU mailbox (" + MAILBOX_SIZE + ")");
        }
        int version = memory.getU16(MB_VERSION);
        if (version != MAILBOX_VERSION) {
            throw new TcmuRingException(name + ": TCMU mailbox version " + version + ", expected "
                    + MAILBOX_VERSION);
        }
        int flags = memory.getU16(MB_FLAGS);
        long cmdrOff = memory.getU32(MB_CMDR_OFF);
        long cmdrSize = memory.getU32(MB_CMDR_SIZE);
        if (cmdrOff < MAILBOX_SIZE || cmdrSize < 2L * CMD_ENTRY_SIZE || cmdrSize % OP_ALIGN_SIZE != 0
                || cmdrOff + cmdrSize > memory.size()) {
            throw new TcmuRingException(name + ": bad ring geometry cmdr_off=" + cmdrOff + " cmdr_size="
                    + cmdrSize + " in a mapping of " + memory.size() + " bytes");
        }
        long tail = memory.getU32(MB_CMD_TAIL);
        if (tail >= cmdrSize || tail % OP_ALIGN_SIZE != 0) {
            throw new TcmuRingException(name + ": cmd_tail " + tail + " is not an entry boundary of a ring of "
                    + cmdrSize + " bytes");
        }
        log.info("{}: attached TCMU ring: cmdr_off={} cmdr_size={} data area {} bytes, flags=0x{}{}",
                name, cmdrOff, cmdrSize, memory.size() - cmdrOff - cmdrSize, Integer.toHexString(flags),
                (flags & FLAG_CAP_OOOC) != 0 ? " (out-of-order completion)" : " (in-order completion)");
        return new TcmuRing(name, memory, handler, doorbell, flags, cmdrOff, cmdrSize, tail);
    }

    public boolean outOfOrderCompletion() {
        return (flags & FLAG_CAP_OOOC) != 0;
    }

    /** Commands handed to the handler whose response has not yet been written to the ring. */
    public synchronized int inFlight() {
        return awaitingCompletion;
    }

    /** A one-line picture of the ring for diagnostics (reads cmd_head; harmless at any time). */
    public synchronized String describe() {
        String head = closed ? "?" : Long.toString(memory.getU32(MB_CMD_HEAD));
        return "cmd_head=" + head + " cmd_tail=" + tail + " read=" + readOffset + " unretired=" + unretired.size()
                + " awaiting=" + awaitingCompletion + " finishedOutOfOrder=" + finishedOutOfOrder.size()
                + (failure != null ? " FAILED" : "") + (closed ? " CLOSED" : "");
    }

    /** The error that stopped the ring, or null. */
    public synchronized TcmuRingException failure() {
        return failure;
    }

    /**
     * Reads every entry up to the kernel's {@code cmd_head} and dispatches the commands found.
     *
     * @return the number of commands dispatched
     * @throws TcmuRingException if the ring is (or now turns out to be) malformed
     */
    public int processNewEntries() {
        List<Command> fresh = new ArrayList<>();
        boolean tailMoved;
        synchronized (this) {
            if (failure != null) {
                throw failure;
            }
            if (closed) {
                return 0;
            }
            try {
                long head = memory.getU32(MB_CMD_HEAD);
                memory.acquireFence();
                if (head >= cmdrSize || head % OP_ALIGN_SIZE != 0) {
                    throw malformed("cmd_head " + head + " is not an entry boundary of a ring of " + cmdrSize
                            + " bytes");
                }
                while (readOffset != head) {
                    Slot slot = readEntry(readOffset, head, fresh);
                    unretired.addLast(slot);
                    readOffset = (readOffset + slot.length) % cmdrSize;
                }
            } catch (TcmuRingException e) {
                failure = e;
                log.error("{}: TCMU ring stopped: {}", name, e.getMessage());
                notifyAll();
                throw e;
            }
            awaitingCompletion += fresh.size();
            tailMoved = retireAndPublish();
        }
        if (tailMoved) {
            kick();
        }
        if (fresh.isEmpty()) {
            return 0;
        }
        // One batch per pass: the device may run the pass's writes on this thread when it is
        // idle, and their completions then come back here, before the batch closes: one kick
        // for all of them, after the loop.
        synchronized (this) {
            dispatchingThread = Thread.currentThread();
        }
        try (SubmissionBatch batch = handler.beginBatch()) {
            for (Command command : fresh) {
                dispatch(command);
            }
        } finally {
            boolean kickNow;
            synchronized (this) {
                dispatchingThread = null;
                kickNow = kickDeferred;
                kickDeferred = false;
            }
            if (kickNow) {
                kick();
            }
        }
        return fresh.size();
    }

    /**
     * Waits until every dispatched command has been written back, the ring failed, or the
     * timeout passed. Used before unmapping so that answers already computed reach the kernel.
     *
     * @return true if nothing is in flight any more
     */
    public synchronized boolean awaitDrained(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (awaitingCompletion > 0 && failure == null && !closed) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return awaitingCompletion == 0;
    }

    /**
     * Stops the ring: from now on nothing is read and no completion touches the memory, which the
     * owner may then unmap. Completions arriving later are dropped (the kernel times them out).
     */
    public synchronized void close() {
        if (!closed && awaitingCompletion > 0) {
            log.warn("{}: closing the TCMU ring with {} commands in flight; their completions are dropped",
                    name, awaitingCompletion);
        }
        closed = true;
        notifyAll();
    }

    // ---- reading -------------------------------------------------------------------------

    private Slot readEntry(long offset, long head, List<Command> fresh) {
        long entry = cmdrOff + offset;
        long lenOp = memory.getU32(entry + HDR_LEN_OP);
        int op = (int) (lenOp & OP_MASK);
        long length = lenOp & ~(long) OP_MASK;
        Where where = new Where(offset, head, cmdrSize); // text only if something is wrong
        if (length == 0) {
            throw malformed(where + " has length 0");
        }
        if (offset + length > cmdrSize) {
            throw malformed(where + " of " + length + " bytes runs past the end of the ring");
        }
        if (offset < head && offset + length > head) {
            throw malformed(where + " of " + length + " bytes runs past cmd_head");
        }
        switch (op) {
            case OP_PAD:
                return new Slot(offset, (int) length, null);
            case OP_TMR:
                logTmr(entry, length, where);
                return new Slot(offset, (int) length, null);
            case OP_CMD:
                Command command = readCommand(entry, length, where);
                fresh.add(command);
                return new Slot(offset, (int) length, command);
            default:
                // As tcmu-runner does: flag it and pass over it; the kernel logs the flag.
                log.warn("{}: {} has unknown TCMU opcode {}; marked UNKNOWN_OP", name, where, op);
                memory.putU8(entry + HDR_UFLAGS, memory.getU8(entry + HDR_UFLAGS) | UFLAG_UNKNOWN_OP);
                return new Slot(offset, (int) length, null);
        }
    }

    private Command readCommand(long entry, long length, Where where) {
        if (length < CMD_ENTRY_SIZE) {
            throw malformed(where + ": command entry of " + length
                    + " bytes is shorter than struct tcmu_cmd_entry (" + CMD_ENTRY_SIZE + ")");
        }
        int cmdId = memory.getU16(entry + HDR_CMD_ID);
        long iovCnt = memory.getU32(entry + REQ_IOV_CNT);
        long bidiCnt = memory.getU32(entry + REQ_IOV_BIDI_CNT);
        long difCnt = memory.getU32(entry + REQ_IOV_DIF_CNT);
        long iovBytes = (iovCnt + bidiCnt + difCnt) * IOVEC_SIZE;
        if (REQ_IOV + iovBytes > length) {
            throw malformed(where + ": " + (iovCnt + bidiCnt + difCnt) + " iovecs do not fit in an entry of "
                    + length + " bytes");
        }
        byte[] cdb = readCdb(memory.getU64(entry + REQ_CDB_OFF), where);
        List<Iov> first = readIovecs(entry + REQ_IOV, iovCnt, where);
        List<Iov> bidi = readIovecs(entry + REQ_IOV + iovCnt * IOVEC_SIZE, bidiCnt, where);

        List<Iov> dataIn;
        List<Iov> out;
        if (!bidi.isEmpty()) {
            out = first;
            dataIn = bidi;
        } else if (CdbFacts.isDataOut(cdb[0] & 0xff)) {
            out = first;
            dataIn = List.of();
        } else {
            out = List.of();
            dataIn = first;
        }
        ByteBuffer lent = out.size() == 1 ? memory.view(out.get(0).offset, out.get(0).length) : null;
        ByteBuffer dataOut = lent != null ? lent : out.isEmpty() ? ScsiRequest.NO_DATA : gather(out);
        return new Command(cmdId, cdb, dataOut, dataIn, totalLength(dataIn), lent == null && !out.isEmpty());
    }

    private byte[] readCdb(long cdbOff, Where where) {
        if (cdbOff < cmdrOff || cdbOff >= memory.size()) {
            throw malformed(where + ": cdb_off " + Long.toUnsignedString(cdbOff)
                    + " is outside the ring and data area");
        }
        int opcode = memory.getU8(cdbOff);
        int additional = opcode == CdbFacts.VARIABLE_LENGTH_CDB && cdbOff + 7 < memory.size()
                ? memory.getU8(cdbOff + 7) : 0;
        int cdbLength = CdbFacts.length(opcode, additional);
        if (cdbOff + cdbLength > memory.size()) {
            throw malformed(where + ": CDB of " + cdbLength + " bytes at " + cdbOff + " runs past the mapping");
        }
        byte[] cdb = new byte[cdbLength];
        memory.copyTo(cdbOff, ByteBuffer.wrap(cdb), cdbLength);
        return cdb;
    }

    private List<Iov> readIovecs(long at, long count, Where where) {
        if (count == 0) {
            return List.of();
        }
        List<Iov> iovs = new ArrayList<>((int) count);
        long total = 0;
        for (long i = 0; i < count; i++) {
            long base = memory.getU64(at + i * IOVEC_SIZE + IOVEC_BASE);
            long len = memory.getU64(at + i * IOVEC_SIZE + IOVEC_LEN);
            if (base < dataOff || len < 0 || base > memory.size() - len) {
                throw malformed(where + ": iovec " + i + " [" + Long.toUnsignedString(base) + ", +"
                        + Long.toUnsignedString(len) + ") is outside the data area [" + dataOff + ", "
                        + memory.size() + ")");
            }
            total += len;
            if (total > Integer.MAX_VALUE - 8) {
                throw malformed(where + ": iovecs add up to more than 2 GiB");
            }
            iovs.add(new Iov(base, (int) len));
        }
        return iovs;
    }

    private ByteBuffer gather(List<Iov> iovs) {
        ByteBuffer data = dataOutBuffers.take(totalLength(iovs));
        for (Iov iov : iovs) {
            memory.copyTo(iov.offset, data, iov.length);
        }
        return data.flip();
    }

    private void logTmr(long entry, long length, Where where) {
        if (length < TMR_CMD_IDS) {
            throw malformed(where + ": TMR entry of " + length + " bytes is shorter than struct tcmu_tmr_entry ("
                    + TMR_CMD_IDS + ")");
        }
        long count = memory.getU32(entry + TMR_CMD_CNT);
        if (TMR_CMD_IDS + 2 * count > length) {
            throw malformed(where + ": TMR lists " + count + " cmd_ids, more than fit in " + length + " bytes");
        }
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < count; i++) {
            ids.append(i == 0 ? "" : ",").append(memory.getU16(entry + TMR_CMD_IDS + 2L * i));
        }
        // Nothing to do: affected commands still complete normally and the kernel discards
        // answers to aborted ones; TMR entries need no response.
        log.info("{}: task management {} for cmd_ids [{}]", name, tmrName(memory.getU8(entry + TMR_TYPE)), ids);
    }

    private TcmuRingException malformed(String detail) {
        return new TcmuRingException(name + ": malformed TCMU ring: " + detail);
    }

    // ---- dispatch and completion ---------------------------------------------------------

    private void dispatch(Command command) {
        CompletableFuture<ScsiResponse> future;
        try {
            future = handler.execute(new ScsiRequest(command.cdb, command.dataOut, command.dataInCapacity));
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        if (future == null) {
            future = CompletableFuture.failedFuture(new NullPointerException("handler returned no future"));
        }
        future.whenComplete((response, error) -> complete(command, response, error));
    }

    private void complete(Command command, ScsiResponse response, Throwable error) {
        ScsiResponse checked = check(command, response, error);
        boolean tailMoved;
        synchronized (this) {
            if (closed || failure != null) {
                log.warn("{}: dropping the answer to cmd_id {}: ring {}", name, command.cmdId,
                        closed ? "closed" : "failed");
                return;
            }
            command.response = checked;
            if (command.pooledDataOut) {
                dataOutBuffers.give(command.dataOut); // the handler is done with it (BlockDevice contract)
            }
            if (outOfOrderCompletion()) {
                finishedOutOfOrder.addLast(command);
            }
            tailMoved = retireAndPublish();
            if (tailMoved && dispatchingThread == Thread.currentThread()) {
                kickDeferred = true;
                return;
            }
        }
        if (tailMoved) {
            kick();
        }
    }

    private ScsiResponse check(Command command, ScsiResponse response, Throwable error) {
        if (error != null || response == null) {
            log.error("{}: handler failed on cmd_id {} opcode 0x{}; answering INTERNAL TARGET FAILURE", name,
                    command.cmdId, Integer.toHexString(command.cdb[0] & 0xff), error);
            return ScsiResponse.checkCondition(INTERNAL_TARGET_FAILURE.clone());
        }
        if (response.status() < 0 || response.status() > 0xff) {
            log.error("{}: handler answered status {} on cmd_id {}; answering INTERNAL TARGET FAILURE", name,
                    response.status(), command.cmdId);
            return ScsiResponse.checkCondition(INTERNAL_TARGET_FAILURE.clone());
        }
        if (response.dataIn().remaining() > command.dataInCapacity) {
            log.warn("{}: handler returned {} bytes of data-in for cmd_id {} with room for {}; truncated", name,
                    response.dataIn().remaining(), command.cmdId, command.dataInCapacity);
        }
        if (response.sense().length > SENSE_BUFFER_SIZE) {
            log.warn("{}: {} bytes of sense for cmd_id {}; truncated to {}", name, response.sense().length,
                    command.cmdId, SENSE_BUFFER_SIZE);
        }
        return response;
    }

    /** Retires every slot at the tail that can be retired; publishes cmd_tail if it moved. */
    private boolean retireAndPublish() {
        long before = tail;
        while (!unretired.isEmpty()) {
            Slot slot = unretired.peekFirst();
            if (slot.command != null) {
                Command answer = outOfOrderCompletion()
                        ? finishedOutOfOrder.pollFirst()
                        : (slot.command.response != null ? slot.command : null);
                if (answer == null) {
                    break;
                }
                writeCompletion(slot, answer);
                awaitingCompletion--;
            }
            unretired.pollFirst();
            tail = (tail + slot.length) % cmdrSize;
        }
        if (tail == before) {
            return false;
        }
        memory.releaseFence();
        memory.putU32(MB_CMD_TAIL, tail);
        notifyAll();
        return true;
    }

    private void writeCompletion(Slot slot, Command command) {
        long entry = cmdrOff + slot.offset;
        ScsiResponse response = command.response;
        int returned = 0;
        if (response.status() == ScsiResponse.GOOD) {
            returned = scatter(command, response.dataIn());
        }
        int uflags = 0;
        long readLen = 0;
        if ((flags & FLAG_CAP_READ_LEN) != 0 && returned > 0 && returned < command.dataInCapacity) {
            uflags |= UFLAG_READ_LEN;
            readLen = returned;
        }
        // With out-of-order completion the slot may be another command's: the kernel looks up
        // the command by the cmd_id we write here.
        memory.putU16(entry + HDR_CMD_ID, command.cmdId);
        memory.putU8(entry + HDR_UFLAGS, uflags);
        memory.putU8(entry + RSP_SCSI_STATUS, response.status());
        memory.putU8(entry + RSP_PAD1, 0);
        memory.putU16(entry + RSP_PAD2, 0);
        memory.putU32(entry + RSP_READ_LEN, readLen);
        if (response.status() == ScsiResponse.GOOD && response.sense().length == 0) {
            return; // the kernel reads the sense buffer only with CHECK CONDITION
        }
        int senseLength = Math.min(response.sense().length, SENSE_BUFFER_SIZE);
        memory.copyFrom(ByteBuffer.wrap(response.sense(), 0, senseLength), entry + RSP_SENSE_BUFFER, senseLength);
        memory.fill(entry + RSP_SENSE_BUFFER + senseLength, SENSE_BUFFER_SIZE - senseLength, (byte) 0);
    }

    /**
     * Copies data-in into the command's iovecs, at most their capacity, and zeroes what the
     * handler left unfilled (the data area holds other commands' old data).
     */
    private int scatter(Command command, ByteBuffer dataIn) {
        ByteBuffer source = dataIn.duplicate();
        int returned = Math.min(source.remaining(), command.dataInCapacity);
        int left = returned;
        for (Iov iov : command.dataIn) {
            int n = Math.min(left, iov.length);
            if (n > 0) {
                memory.copyFrom(source, iov.offset, n);
            }
            if (n < iov.length) {
                memory.fill(iov.offset + n, iov.length - n, (byte) 0);
            }
            left -= n;
        }
        return returned;
    }

    private void kick() {
        try {
            doorbell.kick();
        } catch (IOException e) {
            log.error("{}: cannot notify the kernel of completions: {}", name, e.getMessage());
        }
    }

    private static int totalLength(List<Iov> iovs) {
        int total = 0;
        for (Iov iov : iovs) {
            total += iov.length;
        }
        return total;
    }

    /** An iovec of the data area, as an offset from the start of the mapping. */
    private record Iov(long offset, int length) {
    }

    /** Where an entry is, for error messages; the text is built only when one is needed. */
    private record Where(long offset, long head, long ringSize) {
        @Override
        public String toString() {
            return "entry at ring offset " + offset + " (cmd_head " + head + ", ring " + ringSize + " bytes)";
        }
    }

    /** One entry between cmd_tail and our read position; command is null for PAD/TMR/unknown. */
    private record Slot(long offset, int length, Command command) {
    }

    /** A CMD entry copied out of the ring, waiting for (or holding) its response. */
    private static final class Command {
        final int cmdId;
        final byte[] cdb;
        final ByteBuffer dataOut;
        final List<Iov> dataIn;
        final int dataInCapacity;
        /** dataOut came from the ring's {@link DataOutBuffers} and goes back once answered. */
        final boolean pooledDataOut;
        ScsiResponse response; // guarded by the ring

        Command(int cmdId, byte[] cdb, ByteBuffer dataOut, List<Iov> dataIn, int dataInCapacity,
                boolean pooledDataOut) {
            this.cmdId = cmdId;
            this.cdb = cdb;
            this.dataOut = dataOut;
            this.dataIn = dataIn;
            this.dataInCapacity = dataInCapacity;
            this.pooledDataOut = pooledDataOut;
        }
    }
}
