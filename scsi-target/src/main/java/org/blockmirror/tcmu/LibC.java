package org.blockmirror.tcmu;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc calls the TCMU binding needs, bound with jnr-ffi. Native mmap is required:
 * {@code FileChannel.map} fails with EINVAL on {@code /dev/uioN} (the channel reports size 0).
 * Use through {@link PosixIo}, which checks return values and turns errno into exceptions.
 */
public interface LibC {
    int O_RDWR = 0x2;
    int O_CLOEXEC = 0x80000;
    int PROT_READ = 0x1;
    int PROT_WRITE = 0x2;
    int MAP_SHARED = 0x1;
    short POLLIN = 0x1;
    int EINTR = 4;
    int EAGAIN = 11;

    @SaveError
    int open(@In String path, int flags);

    @SaveError
    int close(int fd);

    @SaveError
    @ssize_t
    long read(int fd, @Out byte[] buffer, @size_t long count);

    @SaveError
    @ssize_t
    long write(int fd, @In byte[] buffer, @size_t long count);

    @SaveError
    Pointer mmap(Pointer address, @size_t long length, int prot, int flags, int fd, @off_t long offset);

    @SaveError
    int munmap(Pointer address, @size_t long length);

    /** {@code struct pollfd[]} as bytes: int fd; short events; short revents (native order). */
    @SaveError
    int poll(@In @Out byte[] fds, long nfds, int timeoutMillis);

    String strerror(int errno);
}
