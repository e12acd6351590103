package org.blockmirror.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blockmirror.testing.LogCapture;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;

class AlertCenterTest {

    private final FakeClock clock = new FakeClock(1_000_000L);
    private final List<AlertEvent> events = new CopyOnWriteArrayList<>();
    private final AlertCenter center = new AlertCenter("local", "db01", clock, events::add);

    @Test
    void onlyChangesAreReportedAndLoggedOnce() {
        try (LogCapture logs = new LogCapture(AlertCenter.class).withInfo()) {
            assertTrue(center.raise(AlertKind.LINK_DOWN, "link DOWN: no heartbeat for 4000 ms"));
            clock.advanceMillis(500);
            assertFalse(center.raise(AlertKind.LINK_DOWN, "link PROBATION"), "already active");
            assertEquals(List.of(new Alert(AlertKind.LINK_DOWN, "link PROBATION", 1_000_000L)), center.active());
            clock.advanceMillis(2_500);
            assertTrue(center.clear(AlertKind.LINK_DOWN, "link UP"));
            assertFalse(center.clear(AlertKind.LINK_DOWN, "link UP"), "not active any more");
            assertFalse(center.clear(AlertKind.JOURNAL_FULL));

            assertEquals(List.of(
                    new AlertEvent(AlertKind.LINK_DOWN, AlertEvent.State.RAISED, "local", "db01",
                            "link DOWN: no heartbeat for 4000 ms", 1_000_000L),
                    new AlertEvent(AlertKind.LINK_DOWN, AlertEvent.State.CLEARED, "local", "db01", "link UP",
                            1_003_000L)), events);
            assertEquals(List.of("alert raised: LINK_DOWN: link DOWN: no heartbeat for 4000 ms"),
                    logs.messages(Level.WARN));
            assertEquals(List.of("alert cleared: LINK_DOWN (active for 3 s): link UP"), logs.messages(Level.INFO));
        }
        assertTrue(center.active().isEmpty());
    }

    @Test
    void setRaisesAndClearsForPolledSourcesAndClearKeepsTheLastMessage() {
        center.set(AlertKind.JOURNAL_HIGH_WATER, true, "journal 81% used");
        center.set(AlertKind.JOURNAL_HIGH_WATER, true, "journal 85% used");
        center.set(AlertKind.SYNC_DEGRADED, false, "unused");
        center.set(AlertKind.JOURNAL_HIGH_WATER, false, "unused");
        assertEquals(2, events.size());
        assertEquals(AlertEvent.State.CLEARED, events.get(1).state());
        assertEquals("journal 85% used", events.get(1).message());
    }

    @Test
    void activeAlertsAreListedInKindOrder() {
        center.raise(AlertKind.REPLICATION_ERROR, "session failed");
        center.raise(AlertKind.LINK_DOWN, "down");
        center.raise(AlertKind.JOURNAL_FULL, "full");
        assertEquals(List.of(AlertKind.LINK_DOWN, AlertKind.JOURNAL_FULL, AlertKind.REPLICATION_ERROR),
                center.active().stream().map(Alert::kind).toList());
        assertTrue(center.isActive(AlertKind.JOURNAL_FULL));
    }

    @Test
    void oneShotEventsAreReportedButNeverActive() {
        assertTrue(center.raise(AlertKind.REMIRROR_STARTED, "remirror of 120 blocks"));
        assertTrue(center.raise(AlertKind.REMIRROR_STARTED, "remirror of 7 blocks"));
        assertEquals(2, events.size());
        assertTrue(center.active().isEmpty());
        assertFalse(center.clear(AlertKind.REMIRROR_STARTED));
    }

    @Test
    void aFailingListenerDoesNotStopTheCenter() {
        AlertCenter c = new AlertCenter("remote", "v", clock, e -> {
            throw new IllegalStateException("listener broken");
        });
        try (LogCapture logs = new LogCapture(AlertCenter.class)) {
            assertTrue(c.raise(AlertKind.VOLUME_IO_ERROR, "disk gone"));
            assertTrue(logs.messages(Level.WARN).contains(
                    "alert listener failed on VOLUME_IO_ERROR raised: java.lang.IllegalStateException: listener broken"),
                    logs.messages(Level.WARN).toString());
        }
        assertTrue(c.isActive(AlertKind.VOLUME_IO_ERROR));
    }
}
