package org.blockmirror.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.blockmirror.local.LocalConfig;
import org.blockmirror.local.LocalDaemon;
import org.blockmirror.time.MonotonicClock;

/**
 * The child process of {@link CrashRecoveryTest}: starts the local daemon from a configuration
 * file and drives it with a {@link WriteWorkload} until it is killed.
 *
 * <p>Arguments: {@code local.conf seed firstWriteId bytesPerSecond}. Standard output carries
 * only these lines (logging goes to standard error), each flushed at once:
 * <pre>
 *   STARTED                  the daemon finished recovery and serves the device
 *   ACK &lt;id&gt; &lt;lba&gt; &lt;blocks&gt;   write id completed successfully (printed only after that)
 * </pre>
 * The process ends itself when its standard input reaches end of file, so a test JVM that dies
 * never leaves it behind.
 */
public final class CrashWorkloadMain {

    static final String STARTED = "STARTED";
    static final String ACK = "ACK";
    static final int QUEUE_DEPTH = 16;
    static final int MAX_BLOCKS = 16;

    private CrashWorkloadMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: CrashWorkloadMain LOCAL_CONF SEED FIRST_WRITE_ID BYTES_PER_SECOND");
            System.exit(2);
        }
        Path conf = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        long firstId = Long.parseLong(args[2]);
        long rate = Long.parseLong(args[3]);
        exitWhenParentGoes();

        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.US_ASCII);
        LocalDaemon daemon = LocalDaemon.start(LocalConfig.load(conf), MonotonicClock.system(), new SecureRandom(),
                false);
        line(out, STARTED);
        WriteWorkload workload = new WriteWorkload(daemon.device(), QUEUE_DEPTH, MAX_BLOCKS, seed, firstId,
                (id, lba, blocks) -> line(out, ACK + " " + id + " " + lba + " " + blocks)).limitRate(rate);
        workload.run(365, TimeUnit.DAYS); // until killed
    }

    /** One line, flushed before returning: the parent may kill us right after. */
    private static void line(PrintStream out, String text) {
        synchronized (out) {
            out.print(text + "\n");
            out.flush();
        }
    }

    private static void exitWhenParentGoes() {
        Thread t = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent writes nothing; end of file means it is gone
                }
            } catch (IOException ignored) {
                // same: the pipe is gone
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watch");
        t.setDaemon(true);
        t.start();
    }
}
