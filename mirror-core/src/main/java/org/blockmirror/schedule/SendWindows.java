package org.blockmirror.schedule;

import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Times of day during which nothing is sent ({@code transport.send-blackout}), e.g.
 * {@code 08:00-18:00,22:00-23:30}. A window includes its start and excludes its end; one whose
 * end is not after its start wraps midnight ({@code 22:00-06:00}); {@code 24:00} is accepted as
 * an end. Times are in the zone of the clock they are evaluated against (the daemon's).
 */
public final class SendWindows {

    /** One window: from {@code start} (inclusive) to {@code end} (exclusive), wrapping midnight if end ≤ start. */
    public record Window(LocalTime start, LocalTime end) {

        public boolean wrapsMidnight() {
            return !end.isAfter(start);
        }

        public boolean contains(LocalTime t) {
            return wrapsMidnight() ? !t.isBefore(start) || t.isBefore(end) : !t.isBefore(start) && t.isBefore(end);
        }

        @Override
        public String toString() {
            return start + "-" + (end.equals(LocalTime.MIDNIGHT) ? "24:00" : end.toString());
        }
    }

    public static final String SYNTAX = "HH:MM-HH:MM, comma-separated (e.g. 08:00-18:00,22:00-23:30), or none";
    private static final Pattern WINDOW = Pattern.compile("(\\d{1,2}):(\\d{2})\\s*-\\s*(\\d{1,2}):(\\d{2})");
    private static final SendWindows NONE = new SendWindows(List.of());

    private final List<Window> windows;

    private SendWindows(List<Window> windows) {
        this.windows = List.copyOf(windows);
    }

    public static SendWindows none() {
        return NONE;
    }

    /**
     * Parses the configured text.
     *
     * @throws IllegalArgumentException with a message for people when the text is wrong
     */
    public static SendWindows parse(String text) {
        String t = text.strip();
        if (t.isEmpty() || t.equalsIgnoreCase("none")) {
            return NONE;
        }
        List<Window> windows = new ArrayList<>();
        for (String part : t.split(",", -1)) {
            Matcher m = WINDOW.matcher(part.strip());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + part.strip() + "' is not a window: expected " + SYNTAX);
            }
            LocalTime start = timeOfDay(m.group(1), m.group(2), false);
            LocalTime end = timeOfDay(m.group(3), m.group(4), true);
            if (start.equals(end)) {
                throw new IllegalArgumentException("window '" + part.strip() + "' is empty: its start and end are"
                        + " the same time");
            }
            windows.add(new Window(start, end));
        }
        SendWindows parsed = new SendWindows(windows);
        if (parsed.coversWholeDay()) {
            throw new IllegalArgumentException("the windows cover the whole day: nothing would ever be sent");
        }
        return parsed;
    }

    private static LocalTime timeOfDay(String hh, String mm, boolean end) {
        int h = Integer.parseInt(hh);
        int m = Integer.parseInt(mm);
        if (end && h == 24 && m == 0) {
            return LocalTime.MIDNIGHT;
        }
        if (h > 23 || m > 59) {
            throw new IllegalArgumentException("'" + hh + ":" + mm + "' is not a time of day (00:00 to 23:59"
                    + (end ? ", or 24:00 as an end" : "") + ")");
        }
        return LocalTime.of(h, m);
    }

    /** Windows start and end on whole minutes, so checking every minute is exact. */
    private boolean coversWholeDay() {
        for (int minute = 0; minute < 24 * 60; minute++) {
            if (!contains(LocalTime.of(minute / 60, minute % 60))) {
                return false;
            }
        }
        return true;
    }

    public boolean isEmpty() {
        return windows.isEmpty();
    }

    public List<Window> windows() {
        return windows;
    }

    /** Whether {@code t} lies in a blackout window. */
    public boolean contains(LocalTime t) {
        for (Window w : windows) {
            if (w.contains(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * When sending may resume: the end of the blackout {@code now} is in, following windows that
     * overlap or touch.
     *
     * @return null if {@code now} is not in a blackout
     */
    public ZonedDateTime resumesAt(ZonedDateTime now) {
        ZonedDateTime t = now;
        // every hop ends a different window, and the windows never cover the whole day
        for (int hop = 0; hop <= windows.size(); hop++) {
            Window w = containing(t.toLocalTime());
            if (w == null) {
                return hop == 0 ? null : t;
            }
            ZonedDateTime end = t.toLocalDate().atTime(w.end()).atZone(t.getZone());
            if (!end.isAfter(t)) {
                end = t.toLocalDate().plusDays(1).atTime(w.end()).atZone(t.getZone());
            }
            t = end;
        }
        return t;
    }

    private Window containing(LocalTime t) {
        for (Window w : windows) {
            if (w.contains(t)) {
                return w;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return windows.isEmpty() ? "none" : windows.stream().map(Window::toString).collect(Collectors.joining(","));
    }
}
