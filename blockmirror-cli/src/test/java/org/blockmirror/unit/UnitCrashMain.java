package org.blockmirror.unit;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.blockmirror.frontend.FrontEndFactory;
import org.blockmirror.time.MonotonicClock;

/**
 * Child process of {@link UnitCrashTest}: runs one unit from its configuration file and writes on
 * command. Standard input: lines {@code WRITE <lba> <fill>}; standard output: {@code STARTED} once
 * the unit is primary and streaming with nothing unacknowledged, {@code ACKED <lba>} after each
 * write completed. Ends at end of input (so a dying test JVM leaves no child behind) — or, as the
 * test intends, by SIGKILL.
 */
public final class UnitCrashMain {

    private UnitCrashMain() {
    }

    public static void main(String[] args) throws Exception {
        UnitDaemon unit = UnitDaemon.start(UnitConfig.load(Path.of(args[0])), MonotonicClock.system(),
                new SecureRandom(), FrontEndFactory.UNAVAILABLE);
        UnitPair.await("the unit streams to its peer", 30_000, () -> UnitPair.drained(unit));
        System.out.println("STARTED");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        for (String line; (line = in.readLine()) != null; ) {
            String[] w = line.split(" ");
            byte[] data = new byte[UnitPair.BLOCK];
            Arrays.fill(data, (byte) Integer.parseInt(w[2]));
            unit.device().write(Long.parseLong(w[1]), ByteBuffer.wrap(data)).get(10, TimeUnit.SECONDS);
            System.out.println("ACKED " + w[1]);
            System.out.flush();
        }
        System.exit(0);
    }
}
