package org.blockmirror.heartbeat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;

import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.embedded.EmbeddedChannel;

class ConnectionArrayTest {

    private final FakeClock clock = new FakeClock();
    private final ConnectionArray array = new ConnectionArray(4, clock);

    @Test
    void startsEmptyAndRefusesConnectionsUntilTheLinkIsUp() {
        EmbeddedChannel ch = new EmbeddedChannel();
        assertFalse(array.isAccepting());
        assertFalse(array.register(0, MirrorConnection.of(ch)));
        assertEquals(ConnectionStatus.EMPTY, array.status(0));
        assertTrue(ch.isOpen(), "a refused connection is the caller's to close");

        array.onTransition(LinkState.STARTING, LinkState.UP, "first heartbeat");
        assertTrue(array.register(0, MirrorConnection.of(ch)));
        assertEquals(ConnectionStatus.UP, array.status(0));
    }

    @Test
    void linkDownMarksEveryConnectionDownAndClosesIt() {
        array.open();
        EmbeddedChannel[] channels = new EmbeddedChannel[3];
        for (int i = 0; i < channels.length; i++) {
            channels[i] = new EmbeddedChannel();
            assertTrue(array.register(i, MirrorConnection.of(channels[i])));
        }
        array.onTransition(LinkState.UP, LinkState.DOWN, "heartbeat lost");
        for (int i = 0; i < channels.length; i++) {
            assertFalse(channels[i].isOpen(), "channel " + i + " closed");
            assertEquals(ConnectionStatus.DOWN, array.status(i));
        }
        assertEquals(ConnectionStatus.EMPTY, array.status(3));
        assertFalse(array.isAccepting());
        assertFalse(array.register(3, MirrorConnection.of(new EmbeddedChannel())),
                "no new connections while DOWN");
        assertEquals(0, array.markAllDown("again"), "already DOWN: nothing more to close");
    }

    @Test
    void probationKeepsTheArrayClosedAndUpReopensIt() {
        array.open();
        array.onTransition(LinkState.UP, LinkState.DOWN, "lost");
        array.onTransition(LinkState.DOWN, LinkState.PROBATION, "back");
        assertFalse(array.isAccepting());
        array.onTransition(LinkState.PROBATION, LinkState.UP, "passed");
        assertTrue(array.isAccepting());
    }

    @Test
    void aClosedSlotCanBeReusedAfterUnregisterOrDirectly() {
        array.open();
        MirrorConnection first = MirrorConnection.of(new EmbeddedChannel());
        array.register(1, first);
        array.markAllDown("lost");
        array.open();
        MirrorConnection second = MirrorConnection.of(new EmbeddedChannel());
        assertTrue(array.register(1, second), "a DOWN slot may be reused");
        assertFalse(array.unregister(1, first), "a late unregister of the old connection is ignored");
        assertEquals(ConnectionStatus.UP, array.status(1));
        assertTrue(array.unregister(1, second));
        assertEquals(ConnectionStatus.EMPTY, array.status(1));
    }

    @Test
    void registeringOverAnUpConnectionIsRejectedWithAClearMessage() {
        array.open();
        EmbeddedChannel ch = new EmbeddedChannel();
        array.register(2, MirrorConnection.of(ch));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> array.register(2, MirrorConnection.of(new EmbeddedChannel())));
        assertTrue(e.getMessage().startsWith("connection slot 2 already holds an UP connection"), e.getMessage());
        IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class,
                () -> array.register(4, MirrorConnection.of(ch)));
        assertEquals("connection slot 4 outside 0..3", oob.getMessage());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> new ConnectionArray(0, clock));
        assertEquals("connection array size must be at least 1, got 0", size.getMessage());
    }

    @Test
    void aConnectionThatFailsToCloseIsStillMarkedDownAndTheOthersAreClosed() {
        array.open();
        EmbeddedChannel ch = new EmbeddedChannel();
        array.register(0, () -> {
            throw new IllegalStateException("socket already gone");
        });
        array.register(1, MirrorConnection.of(ch));
        Logger arrayLog = (Logger) LoggerFactory.getLogger(ConnectionArray.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        arrayLog.addAppender(lines);
        try {
            assertEquals(2, array.markAllDown("lost"));
        } finally {
            arrayLog.detachAppender(lines);
        }
        assertEquals(ConnectionStatus.DOWN, array.status(0));
        assertEquals(ConnectionStatus.DOWN, array.status(1));
        assertFalse(ch.isOpen());
        ILoggingEvent warn = lines.list.stream().filter(e -> e.getLevel() == Level.WARN).findFirst().orElseThrow();
        assertTrue(warn.getFormattedMessage().endsWith("failed; it is marked DOWN anyway"), warn.getFormattedMessage());
        assertEquals("socket already gone", warn.getThrowableProxy().getMessage());
    }

    @Test
    void heartbeatsRefreshEveryTimestampAndTheSnapshotShowsThem() {
        array.open();
        EmbeddedChannel ch = new EmbeddedChannel();
        array.register(1, MirrorConnection.of(ch));
        List<ConnectionSlot> before = array.snapshot();
        assertTrue(before.stream().allMatch(s -> s.lastHeardAgeMillis().isEmpty()));

        array.refreshAll();
        clock.advanceMillis(700);
        List<ConnectionSlot> slots = array.snapshot();
        assertEquals(4, slots.size());
        for (ConnectionSlot s : slots) {
            assertEquals(OptionalLong.of(700), s.lastHeardAgeMillis(), "slot " + s.index());
        }
        assertEquals(ConnectionStatus.UP, slots.get(1).status());
        assertEquals(ch.toString(), slots.get(1).connection());
        assertEquals(ConnectionStatus.EMPTY, slots.get(0).status());
        assertEquals("", slots.get(0).connection());

        array.refreshAll();
        assertEquals(OptionalLong.of(0), array.snapshot().get(3).lastHeardAgeMillis());
    }
}
