package org.blockmirror.heartbeat;

import static org.blockmirror.heartbeat.LinkState.DOWN;
import static org.blockmirror.heartbeat.LinkState.PROBATION;
import static org.blockmirror.heartbeat.LinkState.STARTING;
import static org.blockmirror.heartbeat.LinkState.UP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

class LinkMonitorTest {

    private static final HeartbeatSettings S = HeartbeatSettings.defaults();

    private record Transition(LinkState from, LinkState to, String reason, long at) { }

    private final FakeClock clock = new FakeClock();
    private final List<Transition> seen = new ArrayList<>();
    private LinkMonitor monitor;

    private final Logger monitorLog = (Logger) LoggerFactory.getLogger(LinkMonitor.class);
    private final ListAppender<ILoggingEvent> logLines = new ListAppender<>();
    private Level savedLevel;

    @BeforeEach
    void setUp() {
        monitor = new LinkMonitor("peer-b", S, clock);
        monitor.addListener((from, to, reason) -> seen.add(new Transition(from, to, reason, clock.millis())));
        savedLevel = monitorLog.getLevel();
        monitorLog.setLevel(Level.INFO);
        logLines.start();
        monitorLog.addAppender(logLines);
    }

    @AfterEach
    void tearDown() {
        monitorLog.detachAppender(logLines);
        monitorLog.setLevel(savedLevel);
    }

    /** Advances the fake clock in small steps, ticking like the service does. */
    private void runFor(long millis) {
        long step = 100;
        while (millis > 0) {
            long d = Math.min(step, millis);
            clock.advanceMillis(d);
            monitor.tick();
            millis -= d;
        }
    }

    /** Sends heartbeats every {@code interval} for {@code millis}, ticking in between; starts with a wait. */
    private void heartbeatsFor(long millis, long interval) {
        long end = clock.millis() + millis;
        while (clock.millis() + interval <= end) {
            runFor(interval);
            monitor.onHeartbeat();
        }
        runFor(end - clock.millis());
    }

    private void bringUp() {
        monitor.onHeartbeat();
        assertEquals(UP, monitor.state());
    }

    private void bringDownThenProbation() {
        bringUp();
        runFor(S.timeoutMillis());
        assertEquals(DOWN, monitor.state());
        runFor(1000);
        monitor.onHeartbeat();
        assertEquals(PROBATION, monitor.state());
    }

    @Test
    void firstHeartbeatGoesStraightUp() {
        assertEquals(STARTING, monitor.state());
        assertTrue(monitor.lastHeardAgeMillis().isEmpty());
        runFor(1200);
        monitor.onHeartbeat();
        assertEquals(UP, monitor.state());
        assertEquals(List.of(STARTING, UP), List.of(seen.get(0).from(), seen.get(0).to()));
        assertEquals(clock.millis(), monitor.stateSince());
        assertEquals(OptionalLong.of(0), monitor.lastHeardAgeMillis());
    }

    @Test
    void startingGoesDownWhenPeerNeverHeard() {
        runFor(S.timeoutMillis() - 1);
        assertEquals(STARTING, monitor.state());
        runFor(1);
        assertEquals(DOWN, monitor.state());
        assertTrue(seen.get(0).reason().contains("peer unreachable"), seen.get(0).reason());
        monitor.onHeartbeat();
        assertEquals(PROBATION, monitor.state(), "after a DOWN even the first heartbeat needs probation");
        assertTrue(seen.get(1).reason().contains("first since start"), seen.get(1).reason());
    }

    @Test
    void timeoutTakesLinkDownExactlyAfterTimeoutAndNotBefore() {
        bringUp();
        clock.advanceMillis(S.timeoutMillis() - 1);
        monitor.tick();
        assertEquals(UP, monitor.state());
        assertEquals(OptionalLong.of(S.timeoutMillis() - 1), monitor.lastHeardAgeMillis());
        clock.advanceMillis(1);
        monitor.tick();
        assertEquals(DOWN, monitor.state());
        Transition down = seen.get(seen.size() - 1);
        assertEquals(UP, down.from());
        assertEquals("heartbeat lost: no heartbeat from peer-b for 4000 ms; link DOWN", down.reason());
    }

    @Test
    void downReasonReportsTheActualSilenceWhenTheTickIsLate() {
        bringUp();
        clock.advanceMillis(4012);
        monitor.tick();
        assertEquals("heartbeat lost: no heartbeat from peer-b for 4012 ms; link DOWN",
                seen.get(seen.size() - 1).reason());
    }

    @Test
    void regularHeartbeatsKeepLinkUp() {
        bringUp();
        heartbeatsFor(60_000, S.intervalMillis());
        assertEquals(UP, monitor.state());
        assertEquals(1, seen.size(), "only STARTING -> UP: " + seen);
    }

    @Test
    void heartbeatAfterLongSilenceWithoutTickStillPassesThroughDown() {
        bringUp();
        clock.advanceMillis(7000); // no tick at all: the owner was starved
        monitor.onHeartbeat();
        assertEquals(PROBATION, monitor.state());
        assertEquals(List.of(UP, DOWN, PROBATION), seen.stream().map(Transition::to).toList());
        assertEquals("heartbeat lost: no heartbeat from peer-b for 7000 ms; link DOWN", seen.get(1).reason());
    }

    @Test
    void probationStartsAtFirstHeartbeatAfterDownAndPassesAfterExactlyTheProbation() {
        bringDownThenProbation();
        long probationStart = clock.millis();
        assertEquals(probationStart, monitor.stateSince());
        assertEquals(OptionalLong.of(S.probationMillis()), monitor.probationRemainingMillis());
        assertTrue(seen.get(seen.size() - 1).reason().startsWith("probation started"));

        // Heartbeats every 1.5 s; the last one before 10 s is at 9 s.
        heartbeatsFor(S.probationMillis() - 1, S.intervalMillis());
        assertEquals(PROBATION, monitor.state(), "not a millisecond earlier");
        assertEquals(OptionalLong.of(1), monitor.probationRemainingMillis());
        clock.advanceMillis(1);
        monitor.tick();
        assertEquals(UP, monitor.state());
        assertEquals(probationStart + S.probationMillis(), monitor.stateSince());
        assertTrue(monitor.probationRemainingMillis().isEmpty());
        assertEquals("probation passed: 10.0 s of uninterrupted heartbeats from peer-b; link UP",
                seen.get(seen.size() - 1).reason());
    }

    @Test
    void probationCanPassOnAHeartbeatWithoutATick() {
        bringDownThenProbation();
        for (int i = 0; i < 10; i++) {
            clock.advanceMillis(1000);
            monitor.onHeartbeat();
            assertEquals(i < 9 ? PROBATION : UP, monitor.state(), "after " + (i + 1) + " s");
        }
    }

    @Test
    void singleLostDatagramDuringProbationIsTolerated() {
        bringDownThenProbation();
        long probationStart = clock.millis();
        heartbeatsFor(3000, S.intervalMillis());
        runFor(3000); // one datagram lost: a 3 s gap
        monitor.onHeartbeat();
        assertEquals(PROBATION, monitor.state());
        assertEquals(probationStart, monitor.stateSince(), "timer not restarted");
        heartbeatsFor(probationStart + S.probationMillis() - clock.millis(), S.intervalMillis());
        assertEquals(UP, monitor.state());
        assertEquals(probationStart + S.probationMillis(), monitor.stateSince());
    }

    @Test
    void gapLongerThanProbationGapButShorterThanTimeoutRestartsProbation() {
        bringDownThenProbation();
        heartbeatsFor(6000, S.intervalMillis());
        runFor(3900); // > 3750 ms, < 4000 ms: jitter plus a lost datagram
        assertEquals(PROBATION, monitor.state(), "a gap in progress does not end probation early");
        monitor.onHeartbeat();
        long restartedAt = clock.millis();
        assertEquals(PROBATION, monitor.state());
        Transition restart = seen.get(seen.size() - 1);
        assertEquals(PROBATION, restart.from());
        assertEquals(PROBATION, restart.to());
        assertEquals("probation restarted after a 3.9 s gap in heartbeats from peer-b", restart.reason());
        assertEquals(OptionalLong.of(S.probationMillis()), monitor.probationRemainingMillis());

        heartbeatsFor(S.probationMillis() - 1, S.intervalMillis());
        assertEquals(PROBATION, monitor.state());
        runFor(1);
        assertEquals(UP, monitor.state());
        assertEquals(restartedAt + S.probationMillis(), monitor.stateSince());
    }

    @Test
    void probationDoesNotPassWhileAGapLongerThanProbationGapIsInProgress() {
        bringDownThenProbation();
        long probationStart = clock.millis();
        heartbeatsFor(6000, 1000);
        runFor(200);
        monitor.onHeartbeat();          // last heartbeat at +6.2 s
        runFor(probationStart + S.probationMillis() - clock.millis());
        // Probation time is over, but the peer has been silent for 3.8 s (> 3.75 s, < 4 s timeout).
        assertEquals(PROBATION, monitor.state());
        monitor.onHeartbeat();
        assertEquals(PROBATION, monitor.state());
        assertEquals(OptionalLong.of(S.probationMillis()), monitor.probationRemainingMillis());
        assertEquals("probation restarted after a 3.8 s gap in heartbeats from peer-b",
                seen.get(seen.size() - 1).reason());
        assertFalse(seen.stream().skip(1).anyMatch(t -> t.to() == UP), seen.toString());
    }

    @Test
    void twoLostDatagramsDuringProbationRestartItThroughDown() {
        // With the defaults, two lost datagrams (a 4.5 s gap) exceed the 4 s timeout as well as
        // the 3.75 s probation gap, so the link passes through DOWN and probation restarts.
        bringDownThenProbation();
        heartbeatsFor(3000, S.intervalMillis());
        runFor(4500);
        monitor.onHeartbeat();
        long restartedAt = clock.millis();
        assertEquals(PROBATION, monitor.state());
        List<LinkState> tail = seen.stream().map(Transition::to).toList();
        assertEquals(List.of(DOWN, PROBATION), tail.subList(tail.size() - 2, tail.size()));
        assertEquals(OptionalLong.of(S.probationMillis()), monitor.probationRemainingMillis());
        heartbeatsFor(S.probationMillis(), S.intervalMillis());
        assertEquals(UP, monitor.state());
        assertEquals(restartedAt + S.probationMillis(), monitor.stateSince());
    }

    @Test
    void flappingDuringProbationRestartsItAtTheNextHeartbeat() {
        bringDownThenProbation();
        heartbeatsFor(5000, 1000);  // the last one exactly at +5 s
        runFor(4000); // link flaps: 4 s without heartbeats
        assertEquals(DOWN, monitor.state());
        assertTrue(seen.get(seen.size() - 1).reason().startsWith("heartbeat lost during probation"), seen.toString());
        runFor(700);
        assertEquals(DOWN, monitor.state(), "stays DOWN until the next heartbeat");
        monitor.onHeartbeat();
        long restartedAt = clock.millis();
        assertEquals(PROBATION, monitor.state());
        assertTrue(seen.get(seen.size() - 1).reason().contains("after 4.7 s of silence"),
                seen.get(seen.size() - 1).reason());
        heartbeatsFor(S.probationMillis() - 1, S.intervalMillis());
        assertEquals(PROBATION, monitor.state());
        runFor(1);
        assertEquals(UP, monitor.state());
        assertEquals(restartedAt + S.probationMillis(), monitor.stateSince());
    }

    @Test
    void lossDuringProbationLongEnoughTakesLinkDown() {
        bringDownThenProbation();
        heartbeatsFor(2000, 1000);
        runFor(S.timeoutMillis() - 1);
        assertEquals(PROBATION, monitor.state());
        runFor(1);
        assertEquals(DOWN, monitor.state());
        assertTrue(monitor.probationRemainingMillis().isEmpty());
        runFor(60_000);
        assertEquals(DOWN, monitor.state(), "stays DOWN without heartbeats");
    }

    @Test
    void listenerSeesTheExactTransitionSequenceAndEachIsLoggedOnce() {
        runFor(500);
        monitor.onHeartbeat();                       // STARTING -> UP
        runFor(5000);                                // UP -> DOWN at +4 s
        monitor.onHeartbeat();                       // DOWN -> PROBATION
        heartbeatsFor(3000, 1000);
        runFor(3800);
        monitor.onHeartbeat();                       // PROBATION -> PROBATION (restart)
        heartbeatsFor(2000, 1000);
        runFor(4000);                                // PROBATION -> DOWN
        monitor.onHeartbeat();                       // DOWN -> PROBATION
        heartbeatsFor(S.probationMillis(), 1000);    // PROBATION -> UP
        heartbeatsFor(20_000, 1000);                 // stays UP

        List<List<LinkState>> pairs = seen.stream().map(t -> List.of(t.from(), t.to())).toList();
        assertEquals(List.of(
                List.of(STARTING, UP),
                List.of(UP, DOWN),
                List.of(DOWN, PROBATION),
                List.of(PROBATION, PROBATION),
                List.of(PROBATION, DOWN),
                List.of(DOWN, PROBATION),
                List.of(PROBATION, UP)), pairs);
        assertEquals(500, seen.get(0).at());
        assertEquals(S.timeoutMillis(), seen.get(1).at() - seen.get(0).at());
        assertEquals(seen.size(), monitor.status().transitions());

        List<String> info = logLines.list.stream().filter(e -> e.getLevel() == Level.INFO)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(seen.stream().map(Transition::reason).toList(), info);
    }

    @Test
    void throwingListenerIsLoggedAndDoesNotStopTheTransitionOrOtherListeners() {
        List<LinkState> later = new ArrayList<>();
        LinkMonitor m = new LinkMonitor("peer-c", S, clock);
        m.addListener((from, to, reason) -> {
            throw new IllegalStateException("listener bug");
        });
        m.addListener((from, to, reason) -> later.add(to));
        m.onHeartbeat();
        assertEquals(UP, m.state());
        assertEquals(List.of(UP), later);
        assertTrue(logLines.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().contains("failed on STARTING -> UP")), logLines.list.toString());
    }

    @Test
    void statusIsAConsistentSnapshot() {
        bringDownThenProbation();
        clock.advanceMillis(1200);
        monitor.onHeartbeat();
        clock.advanceMillis(300);
        LinkStatus status = monitor.status();
        assertEquals(PROBATION, status.state());
        assertEquals(1500, status.millisInState());
        assertEquals(OptionalLong.of(300), status.lastHeardAgeMillis());
        assertEquals(OptionalLong.of(S.probationMillis() - 1500), status.probationRemainingMillis());
        assertEquals(3, status.transitions());
    }
}
