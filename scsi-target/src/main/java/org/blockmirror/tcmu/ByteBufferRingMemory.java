package org.blockmirror.tcmu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@link RingMemory} over a ByteBuffer: a direct buffer over the native mmap of {@code /dev/uioN}
 * (see {@link UioDevice}), or a simulated kernel region in tests.
 */
public final class ByteBufferRingMemory implements RingMemory {
    private final ByteBuffer buffer;

    /** Allocates a zeroed direct buffer of {@code size} bytes in native order. */
    public static ByteBufferRingMemory allocate(int size) {
        return new ByteBufferRingMemory(ByteBuffer.allocateDirect(size));
    }

    public ByteBufferRingMemory(ByteBuffer buffer) {
        this.buffer = buffer.duplicate().order(ByteOrder.nativeOrder());
    }

    @Override
    public long size() {
        return buffer.capacity();
    }

    private int at(long offset, int length) {
        checkBounds(offset, length);
        return (int) offset;
    }

    @Override
    public ByteBuffer view(long offset, int length) {
        return buffer.slice(at(offset, length), length).asReadOnlyBuffer();
    }

    @Override
    public int getU8(long offset) {
        return buffer.get(at(offset, 1)) & 0xff;
    }

    @Override
    public void putU8(long offset, int value) {
        buffer.put(at(offset, 1), (byte) value);
    }

    @Override
    public int getU16(long offset) {
        return buffer.getShort(at(offset, 2)) & 0xffff;
    }

    @Override
    public void putU16(long offset, int value) {
        buffer.putShort(at(offset, 2), (short) value);
    }

    @Override
    public long getU32(long offset) {
        return buffer.getInt(at(offset, 4)) & 0xffff_ffffL;
    }

    @Override
    public void putU32(long offset, long value) {
        buffer.putInt(at(offset, 4), (int) value);
    }

    @Override
    public long getU64(long offset) {
        return buffer.getLong(at(offset, 8));
    }

    @Override
    public void putU64(long offset, long value) {
        buffer.putLong(at(offset, 8), value);
    }

    @Override
    public void copyTo(long offset, ByteBuffer dst, int length) {
        int from = at(offset, length);
        dst.put(buffer.slice(from, length));
    }

    @Override
    public void copyFrom(ByteBuffer src, long offset, int length) {
        int to = at(offset, length);
        ByteBuffer part = src.slice(src.position(), length);
        buffer.put(to, part, 0, length);
        src.position(src.position() + length);
    }

    @Override
    public void fill(long offset, int length, byte value) {
        int from = at(offset, length);
        byte[] chunk = new byte[Math.min(length, 4096)];
        if (value != 0) {
            java.util.Arrays.fill(chunk, value);
        }
        for (int done = 0; done < length; done += chunk.length) {
            buffer.put(from + done, chunk, 0, Math.min(chunk.length, length - done));
        }
    }
}
