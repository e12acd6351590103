package org.blockmirror.unit;

import static org.blockmirror.unit.UnitPair.BLOCK;
import static org.blockmirror.unit.UnitPair.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.role.GenerationState;
import org.blockmirror.role.HandshakeDecision;
import org.blockmirror.role.RoleStateFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primary killed with SIGKILL (child JVM) right after acknowledging a write its peer never got,
 * before it noticed the link was cut: its persisted role state still says "in sync". The peer is
 * promoted with --force and writes. When the old primary restarts it must count the journal's
 * unsent records as changes the peer lacks (new generation at start), so the meeting is a
 * SPLIT_BRAIN — not a "stale primary" whose acknowledged write a demotion would silently discard.
 */
class UnitCrashTest {

    @TempDir
    Path dir;
    private UnitPair pair;
    private Process child;

    @AfterEach
    void stop() throws Exception {
        if (child != null) {
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void aKilledPrimaryWithUnsentWritesMeetsThePromotedPeerAsASplitBrain() throws Exception {
        pair = UnitPair.prepare(dir);
        pair.startB();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        child = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                "-cp", System.getProperty("java.class.path"), UnitCrashMain.class.getName(), pair.confA.toString())
                .redirectError(dir.resolve("child.log").toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
        assertEquals("STARTED", out.readLine(), () -> "child log: " + log());
        GenerationState agreedBefore = pair.b.roleState();

        pair.link.cut(); // the child does not know yet: its heartbeat timeout is 1 s
        OutputStream in = child.getOutputStream();
        in.write("WRITE 2 10\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
        assertEquals("ACKED 2", out.readLine(), () -> "child log: " + log());
        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(128 + 9, child.exitValue(), "killed by SIGKILL");
        child = null;
        try (RoleStateFile f = RoleStateFile.open(dir.resolve("a-state").resolve("role-state"), "demo")) {
            assertEquals(agreedBefore.current(), f.state().current(), "the crash left A's state 'in sync'");
            assertTrue(f.state().flags().isEmpty(), f.state().toString());
        }

        Thread.sleep(1300); // B's heartbeat timeout
        pair.b.promoteForce();
        pair.b.device().write(3, ByteBuffer.wrap(filled(11))).get(10, TimeUnit.SECONDS);

        pair.startA(); // restart: recovery redoes the unsent write; its generation moves on at once
        GenerationState a = pair.a.roleState();
        assertNotEquals(agreedBefore.current(), a.current());
        assertEquals(agreedBefore.current(), a.agreed());
        assertArrayEquals(filled(10), block(pair.volA(), 2));
        byte[] volB = Files.readAllBytes(pair.volB());

        pair.link.restore();
        await("both see the split brain", 15_000, () -> pair.a.alerts().isActive(AlertKind.SPLIT_BRAIN)
                && pair.b.alerts().isActive(AlertKind.SPLIT_BRAIN));
        assertEquals(HandshakeDecision.Kind.SPLIT_BRAIN, pair.a.lastDecision().kind());
        assertTrue(pair.a.device().isReady(), "not fenced: its write is newer than anything B has");
        Thread.sleep(300);
        assertArrayEquals(filled(10), block(pair.volA(), 2), "A's acknowledged write is kept");
        assertArrayEquals(volB, Files.readAllBytes(pair.volB()), "B's volume unchanged");
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("child.log"));
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static byte[] filled(int fill) {
        byte[] b = new byte[BLOCK];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    private static byte[] block(Path volume, long lba) throws Exception {
        return Arrays.copyOfRange(Files.readAllBytes(volume), (int) lba * BLOCK, (int) (lba + 1) * BLOCK);
    }
}
