package org.blockmirror.protocol;

import org.blockmirror.testing.LogCapture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class with Netty's leak detector on PARANOID (every buffer tracked) and fails the
 * class if the detector reports a leak. Reports only appear after the garbage collector has found
 * an unreleased buffer, so this is a safety net; the tests also assert refCnt() == 0 directly.
 */
final class ParanoidLeakDetection implements BeforeAllCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ParanoidLeakDetection.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NS);
        store.put("level", ResourceLeakDetector.getLevel());
        store.put("log", new LogCapture(ResourceLeakDetector.class));
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        ExtensionContext.Store store = context.getStore(NS);
        try (LogCapture log = store.get("log", LogCapture.class)) {
            for (int round = 0; round < 3; round++) {
                System.gc();
                Thread.sleep(20);
                // The detector reports collected, unreleased buffers when the next buffer is tracked.
                for (int i = 0; i < 64; i++) {
                    ByteBuf probe = PooledByteBufAllocator.DEFAULT.buffer(8);
                    probe.release();
                }
            }
            List<String> leaks = log.messages(Level.ERROR);
            assertEquals(List.of(), leaks, "Netty reported leaked buffers");
        } finally {
            ResourceLeakDetector.setLevel(store.get("level", ResourceLeakDetector.Level.class));
        }
    }
}
