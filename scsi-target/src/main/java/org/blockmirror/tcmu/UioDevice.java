package org.blockmirror.tcmu;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open {@code /dev/uioN} of a TCMU backstore: the fd, the native mmap of its one region
 * (mailbox + command ring + data area), the event wait (poll + read of the 4-byte event count)
 * and the kick (a 4-byte write, which makes the kernel reap completions).
 * Only one process may have it open (a second open gets EBUSY).
 */
public final class UioDevice implements UioEvents, Closeable {
    private static final Logger log = LoggerFactory.getLogger(UioDevice.class);

    private final PosixIo io;
    private final UioLocator.UioInfo info;
    private final int fd;
    private final Pointer mapping;
    private final RingMemory memory;
    /**
     * Waits and kicks hold the read lock, close the write lock: after close no thread can touch
     * the fd number, which the process may already have reused for another file.
     */
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed; // guarded by lifecycle

    private UioDevice(PosixIo io, UioLocator.UioInfo info, int fd, Pointer mapping) {
        this.io = io;
        this.info = info;
        this.fd = fd;
        this.mapping = mapping;
        this.memory = ringMemory(mapping, info.mapSize());
    }

    public static UioDevice open(PosixIo io, UioLocator.UioInfo info) throws IOException {
        int fd = io.openReadWrite(info.devicePath().toString());
        try {
            Pointer mapping = io.mapShared(fd, info.mapSize());
            log.info("opened {} and mapped {} bytes", info.devicePath(), info.mapSize());
            return new UioDevice(io, info, fd, mapping);
        } catch (IOException e) {
            io.close(fd);
            throw e;
        }
    }

    /**
     * The mapping as a direct ByteBuffer when it fits in one (it does for every ring the kernel
     * makes by default: 8 MiB of commands and up to 1 GiB of data): field accesses and copies are
     * then JIT intrinsics instead of calls through jnr's Pointer, and data-out is gathered with one
     * memory copy. Larger mappings fall back to the Pointer.
     */
    private static RingMemory ringMemory(Pointer mapping, long size) {
        if (size <= Integer.MAX_VALUE) {
            return new ByteBufferRingMemory(MemoryIO.getInstance().newDirectByteBuffer(mapping.address(), (int) size));
        }
        return new PointerRingMemory(mapping, size);
    }

    public UioLocator.UioInfo info() {
        return info;
    }

    /** The mapping; invalid after {@link #close()} (the owner stops all access first). */
    public RingMemory memory() {
        return memory;
    }

    @Override
    public boolean awaitEvent(int timeoutMillis) throws IOException {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            if (!io.pollReadable(fd, timeoutMillis)) {
                return false;
            }
            io.readInt(fd);
            return true;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public void kick() throws IOException {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            io.writeInt(fd, 0);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException(info.devicePath() + " is closed");
        }
    }

    /** Unmaps and closes; idempotent. Nothing may touch {@link #memory()} afterwards. */
    @Override
    public void close() throws IOException {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                io.unmap(mapping, info.mapSize());
            } finally {
                io.close(fd);
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
        log.info("closed {}", info.devicePath());
    }
}
