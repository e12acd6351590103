package org.blockmirror.tcmu;

import static org.blockmirror.tcmu.TcmuAbi.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The kernel side of a TCMU ring, in a ByteBuffer laid out exactly like target_core_user's
 * mapping: mailbox at 0, command ring at cmdr_off (128), data area behind it in 4 KiB blocks.
 * Entries are written as queue_cmd_ring / queue_tmr_ring do (PAD at the wrap, CDB after the
 * iovecs, offsets relative to the mailbox); completions are reaped as tcmu_handle_completions
 * does (walk from the last cleaned offset to cmd_tail, look commands up by cmd_id).
 */
final class SimulatedTcmuKernel implements KernelDoorbell {
    static final int CMDR_OFF = MAILBOX_SIZE;
    static final int BLOCK = 4096;

    final RingMemory memory;
    final int cmdrSize;
    final int dataOff;
    private final int blocks;
    private final BitSet usedBlocks = new BitSet();
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final AtomicInteger kicks = new AtomicInteger();
    private long lastCleaned;
    private int nextCmdId = 1;
    int padsWritten;

    record Pending(int cmdId, List<long[]> iovs, int dataInLength) {
    }

    /** What the kernel read back for one command. */
    record Completion(int cmdId, int status, byte[] sense, int uflags, long readLen, byte[] dataIn) {
    }

    SimulatedTcmuKernel(int flags, int cmdrSize, int dataBlocks) {
        this(ByteBufferRingMemory.allocate(mapSize(cmdrSize, dataBlocks)), flags, cmdrSize, dataBlocks);
    }

    static int mapSize(int cmdrSize, int dataBlocks) {
        return CMDR_OFF + cmdrSize + dataBlocks * BLOCK;
    }

    /** Lays the kernel's structures out in existing memory (e.g. a native mmap of a file). */
    SimulatedTcmuKernel(RingMemory memory, int flags, int cmdrSize, int dataBlocks) {
        this.cmdrSize = cmdrSize;
        this.dataOff = CMDR_OFF + cmdrSize;
        this.blocks = dataBlocks;
        this.memory = memory;
        memory.putU16(MB_VERSION, MAILBOX_VERSION);
        memory.putU16(MB_FLAGS, flags);
        memory.putU32(MB_CMDR_OFF, CMDR_OFF);
        memory.putU32(MB_CMDR_SIZE, cmdrSize);
        memory.putU32(MB_CMD_HEAD, 0);
        memory.putU32(MB_CMD_TAIL, 0);
        // Stale bytes from "earlier commands": must never leak to an initiator.
        memory.fill(dataOff, dataBlocks * BLOCK, (byte) 0xEE);
    }

    @Override
    public void kick() {
        kicks.incrementAndGet();
    }

    int kicks() {
        return kicks.get();
    }

    long head() {
        return memory.getU32(MB_CMD_HEAD);
    }

    long tail() {
        return memory.getU32(MB_CMD_TAIL);
    }

    int pendingCount() {
        return pending.size();
    }

    /** Queues a command; returns its cmd_id, or -1 if ring or data space is short (the qfull case). */
    int submit(byte[] cdb, byte[] dataOut, int dataInLength) {
        int dataLength = dataOut != null ? dataOut.length : dataInLength;
        int nBlocks = (dataLength + BLOCK - 1) / BLOCK;
        if (usedBlocks.cardinality() + nBlocks > blocks) {
            return -1;
        }
        int base = Math.max(REQ_IOV + nBlocks * IOVEC_SIZE, CMD_ENTRY_SIZE);
        int size = base + roundUp(cdb.length);
        if (!reserve(size)) {
            return -1;
        }
        int cmdId = nextCmdId;
        nextCmdId = nextCmdId == 0xffff ? 1 : nextCmdId + 1;
        long head = head();
        long entry = CMDR_OFF + head;
        memory.fill(entry, size, (byte) 0);
        List<long[]> iovs = new ArrayList<>();
        int left = dataLength;
        for (int i = 0; i < nBlocks; i++) {
            int block = usedBlocks.nextClearBit(0);
            usedBlocks.set(block);
            long at = dataOff + (long) block * BLOCK;
            int len = Math.min(BLOCK, left);
            left -= len;
            iovs.add(new long[] {at, len});
            memory.putU64(entry + REQ_IOV + i * IOVEC_SIZE + IOVEC_BASE, at);
            memory.putU64(entry + REQ_IOV + i * IOVEC_SIZE + IOVEC_LEN, len);
            if (dataOut != null) {
                memory.copyFrom(ByteBuffer.wrap(dataOut, dataLength - left - len, len), at, len);
            }
        }
        memory.putU32(entry + REQ_IOV_CNT, nBlocks);
        memory.putU16(entry + HDR_CMD_ID, cmdId);
        long cdbOff = entry + base;
        memory.copyFrom(ByteBuffer.wrap(cdb), cdbOff, cdb.length);
        memory.putU64(entry + REQ_CDB_OFF, cdbOff);
        memory.putU32(entry + HDR_LEN_OP, size | OP_CMD);
        memory.putU32(MB_CMD_HEAD, (head + size) % cmdrSize);
        pending.put(cmdId, new Pending(cmdId, iovs, dataOut != null ? 0 : dataInLength));
        return cmdId;
    }

    /** Queues a TMR notification like queue_tmr_ring. */
    void submitTmr(int type, int... cmdIds) {
        int size = roundUp(TMR_CMD_IDS + 2 * cmdIds.length);
        if (!reserve(size)) {
            throw new IllegalStateException("no ring space for a TMR");
        }
        long head = head();
        long entry = CMDR_OFF + head;
        memory.fill(entry, size, (byte) 0);
        memory.putU32(entry + HDR_LEN_OP, size | OP_TMR);
        memory.putU8(entry + TMR_TYPE, type);
        memory.putU32(entry + TMR_CMD_CNT, cmdIds.length);
        for (int i = 0; i < cmdIds.length; i++) {
            memory.putU16(entry + TMR_CMD_IDS + 2L * i, cmdIds[i]);
        }
        memory.putU32(MB_CMD_HEAD, (head + size) % cmdrSize);
    }

    /** Writes a raw header at cmd_head and moves cmd_head by {@code advance}: for broken entries. */
    long submitRaw(long lenOp, int advance) {
        long head = head();
        memory.putU32(CMDR_OFF + head + HDR_LEN_OP, lenOp);
        memory.putU32(MB_CMD_HEAD, (head + advance) % cmdrSize);
        return CMDR_OFF + head;
    }

    /** Offset (from the mapping start) of the entry the next submit would write, no PAD assumed. */
    long nextEntryOffset() {
        return CMDR_OFF + head();
    }

    /** Like tcmu_handle_completions: everything between the last cleaned offset and cmd_tail. */
    List<Completion> reap() {
        List<Completion> done = new ArrayList<>();
        long tail = tail();
        while (lastCleaned != tail) {
            long entry = CMDR_OFF + lastCleaned;
            long lenOp = memory.getU32(entry + HDR_LEN_OP);
            long len = lenOp & ~(long) OP_MASK;
            int op = (int) (lenOp & OP_MASK);
            if (op == OP_CMD) {
                int cmdId = memory.getU16(entry + HDR_CMD_ID);
                Pending p = pending.remove(cmdId);
                if (p == null) {
                    throw new AssertionError("cmd_id " + cmdId + " not found, ring is broken");
                }
                int uflags = memory.getU8(entry + HDR_UFLAGS);
                long readLen = memory.getU32(entry + RSP_READ_LEN);
                byte[] sense = new byte[SENSE_BUFFER_SIZE];
                memory.copyTo(entry + RSP_SENSE_BUFFER, ByteBuffer.wrap(sense), SENSE_BUFFER_SIZE);
                ByteBuffer dataIn = ByteBuffer.allocate(p.dataInLength);
                for (long[] iov : p.iovs) {
                    if (p.dataInLength > 0) {
                        memory.copyTo(iov[0], dataIn, (int) iov[1]);
                    }
                    usedBlocks.clear((int) ((iov[0] - dataOff) / BLOCK));
                }
                done.add(new Completion(cmdId, memory.getU8(entry + RSP_SCSI_STATUS), sense, uflags, readLen,
                        dataIn.array()));
            } else if (op != OP_PAD && op != OP_TMR) {
                throw new AssertionError("unexpected op " + op + " at ring offset " + lastCleaned);
            }
            lastCleaned = (lastCleaned + len) % cmdrSize;
        }
        return done;
    }

    private boolean reserve(int size) {
        long head = head();
        long toEnd = cmdrSize - head;
        int needed = toEnd < size ? (int) toEnd + size : size;
        long used = (head - lastCleaned + cmdrSize) % cmdrSize;
        if (cmdrSize - used - 1 < needed) {
            return false;
        }
        if (toEnd < size) {
            long entry = CMDR_OFF + head;
            memory.putU32(entry + HDR_LEN_OP, toEnd | OP_PAD);
            memory.putU16(entry + HDR_CMD_ID, 0);
            memory.putU8(entry + HDR_KFLAGS, 0);
            memory.putU8(entry + HDR_UFLAGS, 0);
            memory.putU32(MB_CMD_HEAD, 0);
            padsWritten++;
        }
        return true;
    }

    private static int roundUp(int n) {
        return (n + OP_ALIGN_SIZE - 1) / OP_ALIGN_SIZE * OP_ALIGN_SIZE;
    }
}
