package org.blockmirror.scsi;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

import org.blockmirror.block.BlockDevice;

/**
 * MODE SENSE 6/10 and MODE SELECT 6/10 with the read-write error recovery (0x01), caching (0x08)
 * and control (0x0A) pages.
 *
 * <p>No parameter is changeable: the changeable-values masks are all zero and MODE SELECT accepts
 * a page only if it equals the current values. In particular the caching page reports WCE=0
 * truthfully — every completed write is already durable — and a request to turn a write cache on
 * is refused with INVALID FIELD IN PARAMETER LIST. Saved values are not implemented.
 */
final class ModePages {

    static final int PAGE_RW_ERROR_RECOVERY = 0x01;
    static final int PAGE_CACHING = 0x08;
    static final int PAGE_CONTROL = 0x0A;
    static final int PAGE_ALL = 0x3F;

    static final int PC_CURRENT = 0;
    static final int PC_CHANGEABLE = 1;
    static final int PC_DEFAULT = 2;
    static final int PC_SAVED = 3;

    /** DEVICE-SPECIFIC PARAMETER for SBC: WP=0, DPOFUA=1 (DPO and FUA are accepted). */
    private static final int DEVICE_SPECIFIC = 0x10;

    private static final int[] PAGE_ORDER = {PAGE_RW_ERROR_RECOVERY, PAGE_CACHING, PAGE_CONTROL};

    private final BlockDevice device;

    ModePages(BlockDevice device) {
        this.device = device;
    }

    /** Current (= default) values of a page, including its 2-byte header; null if unsupported. */
    static byte[] currentPage(int code) {
        return switch (code) {
            case PAGE_RW_ERROR_RECOVERY -> {
                byte[] p = new byte[12];
                p[0] = PAGE_RW_ERROR_RECOVERY;
                p[1] = 0x0A;
                // AWRE/ARRE=0: no automatic reallocation; retry counts 0; no recovery time limit.
                yield p;
            }
            case PAGE_CACHING -> {
                byte[] p = new byte[20];
                p[0] = PAGE_CACHING;
                p[1] = 0x12;
                p[2] = 0x00; // WCE=0 (writes are durable on completion), RCD=0
                yield p;
            }
            case PAGE_CONTROL -> {
                byte[] p = new byte[12];
                p[0] = PAGE_CONTROL;
                p[1] = 0x0A;
                p[2] = 0x02; // TST=000, D_SENSE=0 (fixed-format sense), GLTSD=1 (no log parameters to save)
                p[3] = 0x10; // QUEUE ALGORITHM MODIFIER=1 (unrestricted reordering), QERR=00
                yield p;
            }
            default -> null;
        };
    }

    private static byte[] page(int code, int pc) {
        byte[] current = currentPage(code);
        if (pc == PC_CHANGEABLE) {
            byte[] mask = new byte[current.length];
            mask[0] = current[0];
            mask[1] = current[1];
            return mask;
        }
        return current; // current == default; saved values are rejected before we get here
    }

    ScsiResponse sense(Cdb cdb, ScsiRequest request, boolean ten) {
        boolean dbd = cdb.bit(1, 3);
        boolean llbaa = ten && cdb.bit(1, 4);
        int pc = cdb.field(2, 7, 6);
        int code = cdb.field(2, 5, 0);
        int subpage = cdb.u8(3);
        int allocationLength = ten ? cdb.u16(7) : cdb.u8(4);
        if (pc == PC_SAVED) {
            throw ScsiFailure.check(Sense.illegalRequest(AdditionalSense.SAVING_PARAMETERS_NOT_SUPPORTED));
        }
        ByteArrayOutputStream pages = new ByteArrayOutputStream();
        if (code == PAGE_ALL) {
            if (subpage != 0x00 && subpage != 0xFF) {
                throw Cdb.invalidField(3, 7);
            }
            for (int p : PAGE_ORDER) {
                pages.writeBytes(page(p, pc));
            }
        } else {
            if (currentPage(code) == null) {
                throw Cdb.invalidField(2, 5);
            }
            if (subpage != 0) {
                throw Cdb.invalidField(3, 7);
            }
            pages.writeBytes(page(code, pc));
        }
        byte[] descriptor = dbd ? new byte[0] : blockDescriptor(llbaa);
        byte[] body = pages.toByteArray();
        int header = ten ? 8 : 4;
        byte[] d = new byte[header + descriptor.length + body.length];
        if (ten) {
            Bytes.putShort(d, 0, d.length - 2);                  // MODE DATA LENGTH
            d[3] = DEVICE_SPECIFIC;
            d[4] = (byte) (descriptor.length == 16 ? 0x01 : 0); // LONGLBA
            Bytes.putShort(d, 6, descriptor.length);             // BLOCK DESCRIPTOR LENGTH
        } else {
            d[0] = (byte) (d.length - 1);
            d[2] = DEVICE_SPECIFIC;
            d[3] = (byte) descriptor.length;
        }
        System.arraycopy(descriptor, 0, d, header, descriptor.length);
        System.arraycopy(body, 0, d, header + descriptor.length, body.length);
        return CommandSupport.dataIn(d, allocationLength, request);
    }

    /** Short (8-byte) or, with LLBAA in MODE SENSE(10), long (16-byte) LBA block descriptor. */
    private byte[] blockDescriptor(boolean longLba) {
        long blocks = device.blockCount();
        int bs = device.blockSize();
        if (longLba) {
            byte[] b = new byte[16];
            Bytes.putLong(b, 0, blocks);
            Bytes.putInt(b, 12, bs);
            return b;
        }
        byte[] b = new byte[8];
        Bytes.putInt(b, 0, Math.min(blocks, 0xFFFF_FFFFL)); // FFFFFFFFh: "more than fits"
        b[5] = (byte) (bs >>> 16);
        b[6] = (byte) (bs >>> 8);
        b[7] = (byte) bs;
        return b;
    }

    /**
     * MODE SELECT: validates the header, an optional block descriptor (our block size; the
     * current block count or 0) and each page (must equal the current values, since nothing is
     * changeable). Nothing changes, so a valid request is simply GOOD.
     */
    ScsiResponse select(Cdb cdb, ScsiRequest request, boolean ten) {
        boolean pf = cdb.bit(1, 4);
        boolean sp = cdb.bit(1, 0);
        int listLength = ten ? cdb.u16(7) : cdb.u8(4);
        if (sp) {
            throw Cdb.invalidField(1, 0); // no saved pages
        }
        if (listLength == 0) {
            return ScsiResponse.good();
        }
        int header = ten ? 8 : 4;
        if (listLength < header) {
            throw ScsiFailure.check(Sense.illegalRequest(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR));
        }
        ByteBuffer buf = CommandSupport.dataOut(request, listLength);
        byte[] p = new byte[listLength];
        buf.get(p);
        int modeDataLength = ten ? Bytes.u16(p, 0) : Bytes.u8(p, 0);
        if (modeDataLength != 0) {
            throw paramError(0, 7); // reserved in MODE SELECT
        }
        int mediumType = Bytes.u8(p, ten ? 2 : 1);
        if (mediumType != 0) {
            throw paramError(ten ? 2 : 1, 7);
        }
        boolean longLba = ten && (p[4] & 0x01) != 0;
        int descriptorLength = ten ? Bytes.u16(p, 6) : Bytes.u8(p, 3);
        int expected = longLba ? 16 : 8;
        if (descriptorLength != 0 && descriptorLength != expected) {
            throw paramError(ten ? 6 : 3, 7);
        }
        if (header + descriptorLength > listLength) {
            throw ScsiFailure.check(Sense.illegalRequest(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR));
        }
        if (descriptorLength > 0) {
            checkBlockDescriptor(p, header, longLba);
        }
        int at = header + descriptorLength;
        if (at < listLength && !pf) {
            throw Cdb.invalidField(1, 4); // vendor-specific (PF=0) page format not supported
        }
        while (at < listLength) {
            if (at + 2 > listLength) {
                throw ScsiFailure.check(Sense.illegalRequest(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR));
            }
            if ((p[at] & 0x40) != 0) {
                throw paramError(at, 6); // SPF: no subpages
            }
            int code = p[at] & 0x3f;
            byte[] current = currentPage(code);
            if (current == null) {
                throw paramError(at, 5);
            }
            int pageLength = Bytes.u8(p, at + 1);
            if (pageLength != current.length - 2) {
                throw paramError(at + 1, 7);
            }
            if (at + 2 + pageLength > listLength) {
                throw ScsiFailure.check(Sense.illegalRequest(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR));
            }
            // Byte 0 bit 7 (PS) is reserved in MODE SELECT; Linux clears it, others may echo it.
            for (int i = 2; i < current.length; i++) {
                int diff = (p[at + i] ^ current[i]) & 0xff;
                if (diff != 0) {
                    throw paramError(at + i, 31 - Integer.numberOfLeadingZeros(diff));
                }
            }
            at += current.length;
        }
        return ScsiResponse.good();
    }

    private void checkBlockDescriptor(byte[] p, int at, boolean longLba) {
        long blocks = longLba ? Bytes.u64(p, at) : Bytes.u32(p, at);
        long blockLength = longLba ? Bytes.u32(p, at + 12) : Bytes.u24(p, at + 5);
        if (blockLength != device.blockSize()) {
            throw paramError(longLba ? at + 12 : at + 5, 7);
        }
        long current = longLba ? device.blockCount() : Math.min(device.blockCount(), 0xFFFF_FFFFL);
        if (blocks != 0 && blocks != current) {
            throw paramError(at, 7); // the capacity cannot be changed
        }
    }

    private static ScsiFailure paramError(int byteIndex, int bit) {
        return ScsiFailure.check(Sense.invalidFieldInParameterList(byteIndex, bit));
    }
}
