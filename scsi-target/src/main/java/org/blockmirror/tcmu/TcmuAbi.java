package org.blockmirror.tcmu;

/**
 * Byte offsets and constants of the TCMU shared-memory ABI, as declared in the kernel's
 * {@code include/uapi/linux/target_core_user.h} (TCMU_MAILBOX_VERSION 2). All structs there
 * are {@code __packed}; multi-byte fields are in the host's native byte order (little-endian
 * on x86-64). Offsets below are relative to the start of the struct they belong to; the
 * mailbox sits at offset 0 of the mmap'd region, entries at {@code cmdr_off + ring offset}.
 *
 * <p>This class holds no behaviour: one place to check every number against the header.
 */
public final class TcmuAbi {
    private TcmuAbi() {
    }

    // ---- struct tcmu_mailbox -------------------------------------------------------------

    /** {@code TCMU_MAILBOX_VERSION}: the only layout we understand. */
    public static final int MAILBOX_VERSION = 2;
    /** {@code __u16 version}. */
    public static final int MB_VERSION = 0;
    /** {@code __u16 flags} (TCMU_MAILBOX_FLAG_CAP_*). */
    public static final int MB_FLAGS = 2;
    /** {@code __u32 cmdr_off}: offset of the command ring from the start of the mapping. */
    public static final int MB_CMDR_OFF = 4;
    /** {@code __u32 cmdr_size}: size of the command ring in bytes. */
    public static final int MB_CMDR_SIZE = 8;
    /** {@code __u32 cmd_head}: written by the kernel, ring offset of the next free byte. */
    public static final int MB_CMD_HEAD = 12;
    /**
     * {@code __u32 cmd_tail __attribute__((__aligned__(ALIGN_SIZE)))}: written by userspace,
     * on its own 64-byte cache line (ALIGN_SIZE = 64).
     */
    public static final int MB_CMD_TAIL = 64;
    /** sizeof(struct tcmu_mailbox) rounded to its alignment: nothing of the ring may start below. */
    public static final int MAILBOX_SIZE = 128;

    /** {@code TCMU_MAILBOX_FLAG_CAP_OOOC}: the kernel accepts out-of-order completions. */
    public static final int FLAG_CAP_OOOC = 1;
    /** {@code TCMU_MAILBOX_FLAG_CAP_READ_LEN}: rsp.read_len is honoured with UFLAG_READ_LEN. */
    public static final int FLAG_CAP_READ_LEN = 1 << 1;
    /** {@code TCMU_MAILBOX_FLAG_CAP_TMR}: the kernel may queue TMR notifications. */
    public static final int FLAG_CAP_TMR = 1 << 2;
    /** {@code TCMU_MAILBOX_FLAG_CAP_KEEP_BUF}: not used by us. */
    public static final int FLAG_CAP_KEEP_BUF = 1 << 3;

    // ---- struct tcmu_cmd_entry_hdr (8 bytes) ---------------------------------------------

    /** {@code __u32 len_op}: entry length (multiple of 8) with the opcode in the low 3 bits. */
    public static final int HDR_LEN_OP = 0;
    /** {@code __u16 cmd_id}. */
    public static final int HDR_CMD_ID = 4;
    /** {@code __u8 kflags}. */
    public static final int HDR_KFLAGS = 6;
    /** {@code __u8 uflags}. */
    public static final int HDR_UFLAGS = 7;
    public static final int HDR_SIZE = 8;

    /** {@code TCMU_OP_MASK}. */
    public static final int OP_MASK = 0x7;
    /** {@code enum tcmu_opcode}. */
    public static final int OP_PAD = 0;
    public static final int OP_CMD = 1;
    public static final int OP_TMR = 2;

    /** {@code TCMU_UFLAG_UNKNOWN_OP}. */
    public static final int UFLAG_UNKNOWN_OP = 0x1;
    /** {@code TCMU_UFLAG_READ_LEN}: rsp.read_len carries the length of data-in returned. */
    public static final int UFLAG_READ_LEN = 0x2;
    /** {@code TCMU_UFLAG_KEEP_BUF}: never set by us. */
    public static final int UFLAG_KEEP_BUF = 0x4;

    /** {@code TCMU_OP_ALIGN_SIZE}: entries are multiples of 8 bytes. */
    public static final int OP_ALIGN_SIZE = 8;

    // ---- struct tcmu_cmd_entry: req (what the kernel wrote) ------------------------------
    //
    // tcmu_cmd_entry is __packed, but the structs inside its union are not: req keeps C's
    // natural alignment, so the __u64 cdb_off sits after 4 bytes of padding. (Verified on a
    // 6.1 kernel: the first entry's cdb_off is 240 = cmdr_off 128 + sizeof(entry) 112.)

    /** {@code req.iov_cnt}. */
    public static final int REQ_IOV_CNT = 8;
    /** {@code req.iov_bidi_cnt}. */
    public static final int REQ_IOV_BIDI_CNT = 12;
    /** {@code req.iov_dif_cnt}. */
    public static final int REQ_IOV_DIF_CNT = 16;
    /** {@code __u64 req.cdb_off} (8-aligned within req): offset of the CDB from the mapping start. */
    public static final int REQ_CDB_OFF = 24;
    /** {@code struct iovec req.iov[]} after {@code __u64 __pad1, __pad2}. */
    public static final int REQ_IOV = 48;
    /** sizeof(struct iovec) on 64-bit: {@code void *iov_base; size_t iov_len}. */
    public static final int IOVEC_SIZE = 16;
    /** {@code iov_base}: an offset from the start of the mapping, not a pointer. */
    public static final int IOVEC_BASE = 0;
    public static final int IOVEC_LEN = 8;

    // ---- struct tcmu_cmd_entry: rsp (what we write back, same bytes as req) ---------------
    // (naturally aligned too, which here adds no padding)

    /** {@code __u8 rsp.scsi_status}. */
    public static final int RSP_SCSI_STATUS = 8;
    /** {@code __u8 __pad1; __u16 __pad2}. */
    public static final int RSP_PAD1 = 9;
    public static final int RSP_PAD2 = 10;
    /** {@code __u32 rsp.read_len} (was __pad3 before CAP_READ_LEN). */
    public static final int RSP_READ_LEN = 12;
    /** {@code char rsp.sense_buffer[TCMU_SENSE_BUFFERSIZE]}. */
    public static final int RSP_SENSE_BUFFER = 16;
    /** {@code TCMU_SENSE_BUFFERSIZE}. */
    public static final int SENSE_BUFFER_SIZE = 96;
    /** sizeof(struct tcmu_cmd_entry): the rsp union member is the larger one (16 + 96). */
    public static final int CMD_ENTRY_SIZE = RSP_SENSE_BUFFER + SENSE_BUFFER_SIZE;

    // ---- struct tcmu_tmr_entry -------------------------------------------------------------

    /** {@code __u8 tmr_type} (TCMU_TMR_*). */
    public static final int TMR_TYPE = 8;
    /** {@code __u32 cmd_cnt}: number of cmd_ids that follow. */
    public static final int TMR_CMD_CNT = 12;
    /** {@code __u16 cmd_ids[]} after {@code __pad3, __pad4} (two __u64). */
    public static final int TMR_CMD_IDS = 32;

    /** {@code TCMU_TMR_*} names, indexed by type; 128 is LUN_RESET_PRO. */
    public static String tmrName(int type) {
        return switch (type) {
            case 0 -> "UNKNOWN";
            case 1 -> "ABORT_TASK";
            case 2 -> "ABORT_TASK_SET";
            case 3 -> "CLEAR_ACA";
            case 4 -> "CLEAR_TASK_SET";
            case 5 -> "LUN_RESET";
            case 6 -> "TARGET_WARM_RESET";
            case 7 -> "TARGET_COLD_RESET";
            case 128 -> "LUN_RESET_PRO";
            default -> "type " + type;
        };
    }
}
