package org.blockmirror.tcmu;

import java.nio.ByteBuffer;

import jnr.ffi.Pointer;

/**
 * {@link RingMemory} over native memory (the mmap of {@code /dev/uioN}). jnr's Pointer accessors
 * use the native byte order, which is the kernel's. The caller owns the mapping and must stop
 * all access before it unmaps it.
 */
public final class PointerRingMemory implements RingMemory {
    private static final int CHUNK = 64 * 1024;

    private final Pointer base;
    private final long size;

    public PointerRingMemory(Pointer base, long size) {
        this.base = base;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int getU8(long offset) {
        checkBounds(offset, 1);
        return base.getByte(offset) & 0xff;
    }

    @Override
    public void putU8(long offset, int value) {
        checkBounds(offset, 1);
        base.putByte(offset, (byte) value);
    }

    @Override
    public int getU16(long offset) {
        checkBounds(offset, 2);
        return base.getShort(offset) & 0xffff;
    }

    @Override
    public void putU16(long offset, int value) {
        checkBounds(offset, 2);
        base.putShort(offset, (short) value);
    }

    @Override
    public long getU32(long offset) {
        checkBounds(offset, 4);
        return base.getInt(offset) & 0xffff_ffffL;
    }

    @Override
    public void putU32(long offset, long value) {
        checkBounds(offset, 4);
        base.putInt(offset, (int) value);
    }

    @Override
    public long getU64(long offset) {
        checkBounds(offset, 8);
        return base.getLongLong(offset);
    }

    @Override
    public void putU64(long offset, long value) {
        checkBounds(offset, 8);
        base.putLongLong(offset, value);
    }

    @Override
    public void copyTo(long offset, ByteBuffer dst, int length) {
        checkBounds(offset, length);
        if (dst.remaining() < length) {
            throw new IndexOutOfBoundsException("destination has " + dst.remaining() + " bytes, need " + length);
        }
        if (dst.hasArray()) {
            base.get(offset, dst.array(), dst.arrayOffset() + dst.position(), length);
            dst.position(dst.position() + length);
            return;
        }
        byte[] chunk = new byte[Math.min(CHUNK, length)];
        for (int done = 0; done < length; ) {
            int n = Math.min(chunk.length, length - done);
            base.get(offset + done, chunk, 0, n);
            dst.put(chunk, 0, n);
            done += n;
        }
    }

    @Override
    public void copyFrom(ByteBuffer src, long offset, int length) {
        checkBounds(offset, length);
        if (src.remaining() < length) {
            throw new IndexOutOfBoundsException("source has " + src.remaining() + " bytes, need " + length);
        }
        if (src.hasArray()) {
            base.put(offset, src.array(), src.arrayOffset() + src.position(), length);
            src.position(src.position() + length);
            return;
        }
        byte[] chunk = new byte[Math.min(CHUNK, length)];
        for (int done = 0; done < length; ) {
            int n = Math.min(chunk.length, length - done);
            src.get(chunk, 0, n);
            base.put(offset + done, chunk, 0, n);
            done += n;
        }
    }

    @Override
    public void fill(long offset, int length, byte value) {
        checkBounds(offset, length);
        base.setMemory(offset, length, value);
    }
}
