package org.blockmirror.cli;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keeps a started daemon running until SIGTERM/SIGINT, then closes it cleanly. */
final class DaemonRunner {
    private static final Logger log = LoggerFactory.getLogger(DaemonRunner.class);

    private DaemonRunner() {
    }

    static int runUntilSignalled(AutoCloseable daemon) {
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            log.info("shutting down");
            try {
                daemon.close();
            } catch (Exception e) {
                log.warn("error while shutting down: {}", e.toString());
            }
            stopped.countDown();
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
