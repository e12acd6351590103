package org.blockmirror.tcmu;

import java.io.IOException;
import java.util.Optional;

import org.blockmirror.scsi.ScsiCommandHandler;
import org.blockmirror.time.MonotonicClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A served, exported TCMU disk: the whole start and stop sequence in the order the kernel
 * needs. Start: backstore (configfs) → find and open /dev/uioN → serve the ring → export the
 * LUN. Stop (and roll-back of a failed start): remove the LUN → stop serving (drain, unmap,
 * close) → remove the backstore.
 */
public final class TcmuTarget implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcmuTarget.class);

    private final TcmuConfigFs configFs;
    private final TcmuTargetConfig config;
    private final TcmuDevice device;
    private boolean closed; // guarded by this

    private TcmuTarget(TcmuConfigFs configFs, TcmuTargetConfig config, TcmuDevice device) {
        this.configFs = configFs;
        this.config = config;
        this.device = device;
    }

    public static TcmuTarget start(TcmuConfigFs configFs, UioLocator locator, PosixIo io, TcmuTargetConfig config,
                                   ScsiCommandHandler handler, MonotonicClock clock, long uioWaitMillis)
            throws IOException {
        configFs.createBackstore(config);
        TcmuDevice device = null;
        try {
            UioLocator.UioInfo info = awaitUio(locator, config.uioName(), clock, uioWaitMillis);
            UioDevice uio = UioDevice.open(io, info);
            device = TcmuDevice.start(config.deviceName(), uio, handler);
            configFs.exportLun(config);
            log.info("{}: serving {} ({} bytes) through {} as {}", config.deviceName(), info.devicePath(),
                    config.sizeBytes(), config.fabric(), config.targetWwn());
            return new TcmuTarget(configFs, config, device);
        } catch (IOException | RuntimeException e) {
            rollBack(configFs, config, device, e);
            throw e;
        }
    }

    private static UioLocator.UioInfo awaitUio(UioLocator locator, String name, MonotonicClock clock, long waitMillis)
            throws IOException {
        long deadline = clock.millis() + waitMillis;
        while (true) {
            Optional<UioLocator.UioInfo> found = locator.find(name);
            if (found.isPresent()) {
                return found.get();
            }
            if (clock.millis() >= deadline) {
                throw new IOException("uio device " + name + " did not appear within " + waitMillis + " ms");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for uio device " + name);
            }
        }
    }

    private static void rollBack(TcmuConfigFs configFs, TcmuTargetConfig config, TcmuDevice device, Exception cause) {
        try {
            configFs.unexportLun(config);
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
        if (device != null) {
            try {
                device.close();
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
        try {
            configFs.removeBackstore(config);
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    public TcmuDevice device() {
        return device;
    }

    public TcmuTargetConfig config() {
        return config;
    }

    /** Stops in reverse order; idempotent. The first failure is thrown, later ones suppressed into it. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        try {
            configFs.unexportLun(config);
        } catch (IOException e) {
            failure = e;
        }
        try {
            device.close();
        } catch (IOException e) {
            failure = merge(failure, e);
        }
        try {
            configFs.removeBackstore(config);
        } catch (IOException e) {
            failure = merge(failure, e);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static IOException merge(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
