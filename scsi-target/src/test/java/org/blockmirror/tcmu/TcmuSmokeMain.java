package org.blockmirror.tcmu;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import org.blockmirror.scsi.ScsiCommandHandler;
import org.blockmirror.scsi.ScsiResponse;
import org.blockmirror.time.MonotonicClock;

/**
 * Real-kernel smoke test (run inside the VM by scripts/vm/tcmu-smoke-guest.sh): serves a file
 * as a TCMU disk exported through tcm_loop, prints READY, and tears everything down when the
 * stop file appears. Usage: TcmuSmokeMain BACKING_FILE SIZE_BYTES STOP_FILE
 */
public final class TcmuSmokeMain {
    private TcmuSmokeMain() {
    }

    public static void main(String[] args) throws Exception {
        Path backing = Path.of(args[0]);
        long size = Long.parseLong(args[1]);
        Path stop = Path.of(args[2]);
        TcmuConfigFs configFs = new TcmuConfigFs(KernelConfigFs.system(), "bm-smoke");
        System.out.println("stale objects removed: " + configFs.removeStale());
        TcmuTargetConfig config = TcmuTargetConfig.loopback(7, "bm-smoke0", "blockmirror", "smoke0", size, 512,
                "naa.5001405babe00001", "naa.5001405babe00002");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        Random random = new Random(1);
        AtomicLong dispatched = new AtomicLong();
        AtomicLong newestCompleted = new AtomicLong(-1);
        AtomicLong outOfOrder = new AtomicLong();
        try (FileChannel file = FileChannel.open(backing, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileDisk disk = new FileDisk(file, 512, size);
            // Each command on a pool thread after a random pause, so answers overtake each other.
            ScsiCommandHandler handler = request -> {
                long seq = dispatched.getAndIncrement();
                return CompletableFuture.supplyAsync(() -> {
                    pause(random.nextInt(3));
                    ScsiResponse response = disk.execute(request).join();
                    if (newestCompleted.getAndAccumulate(seq, Math::max) > seq) {
                        outOfOrder.incrementAndGet();
                    }
                    return response;
                }, pool);
            };
            serve(configFs, config, handler, stop);
        } finally {
            pool.shutdownNow();
        }
        System.out.println("STOPPED out-of-order=" + outOfOrder.get() + " of " + dispatched.get());
    }

    private static void pause(int millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void serve(TcmuConfigFs configFs, TcmuTargetConfig config, ScsiCommandHandler handler, Path stop)
            throws Exception {
        try (TcmuTarget target = TcmuTarget.start(configFs, UioLocator.system(), PosixIo.load(), config, handler,
                MonotonicClock.system(), 5_000)) {
            System.out.println("READY " + config.uioName() + " ooo=" + target.device().ring().outOfOrderCompletion());
            long turns = 0;
            while (!Files.exists(stop)) {
                if (++turns % 40 == 0) {
                    System.out.println("ring: " + target.device().ring().describe());
                }
                if (target.device().terminated().isDone()) {
                    target.device().terminated().join(); // throws the ring failure
                }
                Thread.sleep(50);
            }
            System.out.println("STOPPING in-flight=" + target.device().ring().inFlight());
        }
    }
}
