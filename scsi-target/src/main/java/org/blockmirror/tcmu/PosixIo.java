package org.blockmirror.tcmu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** Checked wrappers over {@link LibC}: every failure is an IOException naming the call and errno. */
public final class PosixIo {
    private final LibC libc;
    private final Runtime runtime;

    public PosixIo(LibC libc) {
        this.libc = libc;
        this.runtime = Runtime.getRuntime(libc);
    }

    /** Loads libc; cheap to call, but callers should keep and share the instance. */
    public static PosixIo load() {
        return new PosixIo(LibraryLoader.create(LibC.class).load("c"));
    }

    public int openReadWrite(String path) throws IOException {
        int fd = libc.open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw error("open " + path);
        }
        return fd;
    }

    public void close(int fd) throws IOException {
        if (libc.close(fd) != 0) {
            throw error("close fd " + fd);
        }
    }

    /** Maps {@code length} bytes of {@code fd} shared, read-write, at offset 0. */
    public Pointer mapShared(int fd, long length) throws IOException {
        Pointer p = libc.mmap(null, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (p == null || p.address() == -1L) {
            throw error("mmap " + length + " bytes of fd " + fd);
        }
        return p;
    }

    public void unmap(Pointer address, long length) throws IOException {
        if (libc.munmap(address, length) != 0) {
            throw error("munmap " + length + " bytes");
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for fd to become readable.
     *
     * @return true if readable, false on timeout or EINTR
     */
    public boolean pollReadable(int fd, int timeoutMillis) throws IOException {
        ByteBuffer pollfd = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        pollfd.putInt(0, fd).putShort(4, LibC.POLLIN).putShort(6, (short) 0);
        int n = libc.poll(pollfd.array(), 1, timeoutMillis);
        if (n < 0) {
            if (runtime.getLastError() == LibC.EINTR) {
                return false;
            }
            throw error("poll fd " + fd);
        }
        return n > 0;
    }

    /** Reads exactly one native int (a uio event count); retries on EINTR. */
    public int readInt(int fd) throws IOException {
        byte[] buffer = new byte[4];
        while (true) {
            long n = libc.read(fd, buffer, 4);
            if (n == 4) {
                return ByteBuffer.wrap(buffer).order(ByteOrder.nativeOrder()).getInt();
            }
            if (n < 0 && runtime.getLastError() == LibC.EINTR) {
                continue;
            }
            if (n < 0) {
                throw error("read fd " + fd);
            }
            throw new IOException("read fd " + fd + ": got " + n + " bytes, expected 4");
        }
    }

    /** Writes one native int (the uio irqcontrol value); retries on EINTR. */
    public void writeInt(int fd, int value) throws IOException {
        byte[] buffer = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
        while (true) {
            long n = libc.write(fd, buffer, 4);
            if (n == 4) {
                return;
            }
            if (n < 0 && runtime.getLastError() == LibC.EINTR) {
                continue;
            }
            if (n < 0) {
                throw error("write fd " + fd);
            }
            throw new IOException("write fd " + fd + ": wrote " + n + " bytes, expected 4");
        }
    }

    private IOException error(String what) {
        int errno = runtime.getLastError();
        return new IOException(what + ": " + libc.strerror(errno) + " (errno " + errno + ")");
    }
}
