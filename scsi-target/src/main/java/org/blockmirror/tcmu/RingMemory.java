package org.blockmirror.tcmu;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The shared region the kernel and we exchange commands through, seen as bytes at offsets.
 * Multi-byte values are in the kernel's (the host's native) byte order. Every access is
 * bounds-checked against {@link #size()}: a bad offset from the ring must end in an exception,
 * never in a write outside the mapping.
 *
 * <p>Implementations: {@link ByteBufferRingMemory} over a direct buffer (the native mmap of
 * {@code /dev/uioN} up to 2 GiB, or a simulated kernel in tests); {@link PointerRingMemory} over
 * the native mmap through jnr (larger mappings).
 */
public interface RingMemory {

    long size();

    int getU8(long offset);

    void putU8(long offset, int value);

    int getU16(long offset);

    void putU16(long offset, int value);

    /** An unsigned 32-bit value. */
    long getU32(long offset);

    void putU32(long offset, long value);

    /** A 64-bit value; callers treat it as unsigned (negative means "far beyond the mapping"). */
    long getU64(long offset);

    void putU64(long offset, long value);

    /** Copies {@code length} bytes at {@code offset} into {@code dst} at its position, advancing it. */
    void copyTo(long offset, ByteBuffer dst, int length);

    /** Copies {@code length} bytes from {@code src} at its position to {@code offset}, advancing it. */
    void copyFrom(ByteBuffer src, long offset, int length);

    void fill(long offset, int length, byte value);

    /**
     * A read-only view of {@code length} bytes at {@code offset}, valid as long as the mapping
     * is, or null if this memory cannot lend one (the caller then copies).
     */
    default ByteBuffer view(long offset, int length) {
        return null;
    }

    /** Orders the loads of cmd_head before the loads of the entries it publishes. */
    default void acquireFence() {
        VarHandle.acquireFence();
    }

    /** Orders our response and data-in stores before the store of cmd_tail that publishes them. */
    default void releaseFence() {
        VarHandle.releaseFence();
    }

    default void checkBounds(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size() - length) {
            throw new IndexOutOfBoundsException("ring memory access [" + offset + ", +" + length
                    + ") outside the mapping of " + size() + " bytes");
        }
    }
}
