package org.blockmirror.tcmu;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
        try (FileChannel file = FileChannel.open(backing, StandardOpenOption.READ, StandardOpenOption.WRITE);
             TcmuTarget target = TcmuTarget.start(configFs, UioLocator.system(), PosixIo.load(), config,
                     new FileDisk(file, 512, size), MonotonicClock.system(), 5_000)) {
            System.out.println("READY " + config.uioName() + " ooo=" + target.device().ring().outOfOrderCompletion());
            while (!Files.exists(stop)) {
                if (target.device().terminated().isDone()) {
                    target.device().terminated().join(); // throws the ring failure
                }
                Thread.sleep(50);
            }
            System.out.println("STOPPING in-flight=" + target.device().ring().inFlight());
        }
        System.out.println("STOPPED");
    }
}
