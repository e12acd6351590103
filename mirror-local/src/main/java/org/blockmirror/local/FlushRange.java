package org.blockmirror.local;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which oldest part of the queue {@code blockmirror queue flush} turns into dirty-map entries:
 * every record through a sequence number, or every record written before a time (given as an
 * age or a timestamp). Always a prefix of the queue, from its tail: a circular queue frees
 * space only at its tail, so flushing a middle range would free nothing.
 */
public sealed interface FlushRange {

    /** Every queued record with seq &le; {@code seq}. */
    record ThroughSeq(long seq) implements FlushRange {
        @Override
        public String toArgs() {
            return "--through-seq " + seq;
        }
    }

    /** The queued records written more than {@code age} ago (by the daemon's clock). */
    record OlderThan(Duration age) implements FlushRange {
        @Override
        public String toArgs() {
            return "--older-than " + age.toMillis() + "ms";
        }
    }

    /** The queued records written before {@code time}. */
    record Before(Instant time) implements FlushRange {
        @Override
        public String toArgs() {
            return "--before " + time;
        }
    }

    /** The arguments that {@link #parse} reads back into this range. */
    String toArgs();

    String USAGE = "give exactly one of --through-seq N, --older-than DURATION (e.g. 90s, 15m, 2h, 1d) or"
            + " --before TIMESTAMP (e.g. 2024-06-03T12:00:00Z)";

    Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /**
     * Reads {@code --through-seq N | --older-than DURATION | --before TIMESTAMP} (also as
     * {@code --opt=value}).
     *
     * @param zone how a timestamp without an offset is read
     * @throws IllegalArgumentException with a message for the operator
     */
    static FlushRange parse(List<String> args, ZoneId zone) {
        FlushRange range = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!name.equals("--through-seq") && !name.equals("--older-than") && !name.equals("--before")) {
                throw new IllegalArgumentException("unknown flush argument '" + arg + "': " + USAGE);
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException(name + " needs a value: " + USAGE);
                }
                value = args.get(++i);
            }
            if (range != null) {
                throw new IllegalArgumentException("more than one flush range given: " + USAGE);
            }
            range = switch (name) {
                case "--through-seq" -> new ThroughSeq(parseSeq(value));
                case "--older-than" -> new OlderThan(parseDuration(value));
                default -> new Before(parseTime(value, zone));
            };
        }
        if (range == null) {
            throw new IllegalArgumentException("no flush range given: " + USAGE);
        }
        return range;
    }

    private static long parseSeq(String value) {
        try {
            long seq = Long.parseLong(value);
            if (seq > 0) {
                return seq;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("--through-seq " + value + ": not a sequence number (a whole number >= 1)");
    }

    /** {@code 500ms}, {@code 90s}, {@code 15m}, {@code 2h}, {@code 1d}, or ISO-8601 ({@code PT15M}). */
    static Duration parseDuration(String value) {
        Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
        try {
            Duration d;
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                d = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            } else {
                d = Duration.parse(value.trim());
            }
            if (!d.isNegative() && !d.isZero()) {
                return d;
            }
        } catch (ArithmeticException | DateTimeException | NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("--older-than " + value + ": not a positive duration (examples: 500ms,"
                + " 90s, 15m, 2h, 1d, PT1H30M)");
    }

    /** ISO-8601 with an offset ({@code 2024-06-03T12:00:00Z}, {@code ...+02:00}) or local to {@code zone}. */
    static Instant parseTime(String value, ZoneId zone) {
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeException e) {
            try {
                return LocalDateTime.parse(value).atZone(zone).toInstant();
            } catch (DateTimeException e2) {
                throw new IllegalArgumentException("--before " + value + ": not a timestamp (examples:"
                        + " 2024-06-03T12:00:00Z, 2024-06-03T14:00:00+02:00, 2024-06-03T12:00:00 in local time)");
            }
        }
    }
}
