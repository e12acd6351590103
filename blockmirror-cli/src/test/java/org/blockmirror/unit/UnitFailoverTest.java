package org.blockmirror.unit;

import static org.blockmirror.unit.UnitPair.BLOCK;
import static org.blockmirror.unit.UnitPair.await;
import static org.blockmirror.unit.UnitPair.drained;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.blockmirror.control.ControlClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fail-over in a unit pair: the {@code volume} command on the unit's control socket reaches the
 * primary half; the secondary refuses it with the reason; the secondary's receiver serves READs of
 * the admitted session (a primary half that could not read its own disk reads B's copy).
 */
class UnitFailoverTest {

    @TempDir
    Path dir;

    private UnitPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void theVolumeCommandBelongsToThePrimaryAndTheSecondaryServesItsReads() throws Exception {
        pair = UnitPair.startStreaming(dir);
        byte[] data = new byte[2 * BLOCK];
        new java.util.Random(5).nextBytes(data);
        pair.a.device().write(7, ByteBuffer.wrap(data)).get(10, TimeUnit.SECONDS);
        await("B applied it", 10_000, () -> drained(pair.a));

        JsonNode onA = new ControlClient(dir.resolve("a.sock")).call("volume status");
        assertEquals("ok", onA.path("state").asText());
        IOException onB = assertThrows(IOException.class, () -> new ControlClient(dir.resolve("b.sock")).call("volume replace"));
        assertTrue(onB.getMessage().endsWith("this unit is secondary: fail-over through the peer serves a primary's host"),
                onB.getMessage());

        // the primary half's reads through the peer, as in degraded mode: B answers on the admitted session
        ByteBuffer got = pair.a.primaryHalf().failover().readThroughPeer(7, 2).get(10, TimeUnit.SECONDS);
        byte[] bytes = new byte[got.remaining()];
        got.get(bytes);
        assertArrayEquals(data, bytes);
    }
}
