package org.blockmirror.config;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Typed, validating access to a {@link ConfigFile}.
 *
 * <p>Every accessor returns a usable value (the default when the key is wrong) and records a
 * problem naming the file, line, key, value and the allowed range; {@link #finish()} then
 * throws one {@link ConfigException} listing them all, plus any keys nobody asked for (a typo
 * must not silently fall back to a default).
 */
public final class ConfigReader {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]i?B?|B)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final ConfigFile file;
    private final List<String> problems = new ArrayList<>();
    private final Set<String> used = new HashSet<>();

    public ConfigReader(ConfigFile file) {
        this.file = file;
        for (String error : file.syntaxErrors()) {
            problems.add(file.source() + " " + error);
        }
    }

    private ConfigFile.Entry entry(String key) {
        used.add(key);
        return file.entries().get(key);
    }

    private void problem(ConfigFile.Entry e, String why) {
        String where = e.line() > 0 ? file.source() + " line " + e.line() : file.source();
        problems.add(where + ": " + e.key() + " = " + e.value() + ": " + why);
    }

    private void missing(String key, String what) {
        problems.add(file.source() + ": " + key + " is required (" + what + ")");
    }

    /** Lets a caller add a cross-key check ("a must be less than b"). */
    public void check(boolean ok, String key, String why) {
        if (!ok) {
            ConfigFile.Entry e = file.entries().get(key);
            if (e != null) {
                problem(e, why);
            } else {
                problems.add(file.source() + ": " + key + ": " + why);
            }
        }
    }

    public String requiredString(String key, String what) {
        ConfigFile.Entry e = entry(key);
        if (e == null || e.value().isEmpty()) {
            missing(key, what);
            return "";
        }
        return e.value();
    }

    public String string(String key, String defaultValue) {
        ConfigFile.Entry e = entry(key);
        return e == null ? defaultValue : e.value();
    }

    /** A name safe for file names and the wire: letters, digits, '.', '_', '-', at most 64. */
    public String requiredName(String key, String what) {
        ConfigFile.Entry e = entry(key);
        if (e == null || e.value().isEmpty()) {
            missing(key, what);
            return "invalid";
        }
        if (!NAME.matcher(e.value()).matches()) {
            problem(e, "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
            return "invalid";
        }
        return e.value();
    }

    public Path requiredPath(String key, String what) {
        String s = requiredString(key, what);
        return s.isEmpty() ? Path.of(".") : Path.of(s);
    }

    public Path path(String key, Path defaultValue) {
        ConfigFile.Entry e = entry(key);
        return e == null || e.value().isEmpty() ? defaultValue : Path.of(e.value());
    }

    /**
     * An optional command to run: an absolute path to an existing, executable regular file.
     *
     * @return the path, or null when the key is not set (or its value is wrong)
     */
    public Path executable(String key) {
        ConfigFile.Entry e = entry(key);
        if (e == null || e.value().isEmpty()) {
            return null;
        }
        Path p = Path.of(e.value());
        if (!p.isAbsolute()) {
            problem(e, "must be an absolute path to an executable file");
        } else if (!Files.exists(p)) {
            problem(e, "no such file");
        } else if (!Files.isRegularFile(p)) {
            problem(e, "not a regular file");
        } else if (!Files.isExecutable(p)) {
            problem(e, "not executable (chmod +x)");
        } else {
            return p;
        }
        return null;
    }

    public long longInRange(String key, long defaultValue, long min, long max) {
        ConfigFile.Entry e = entry(key);
        if (e == null) {
            return defaultValue;
        }
        try {
            long v = Long.parseLong(e.value().replace("_", ""));
            if (v < min || v > max) {
                problem(e, "must be between " + min + " and " + max);
                return defaultValue;
            }
            return v;
        } catch (NumberFormatException ex) {
            problem(e, "not a whole number (allowed " + min + " to " + max + ")");
            return defaultValue;
        }
    }

    public int intInRange(String key, int defaultValue, int min, int max) {
        return (int) longInRange(key, defaultValue, min, max);
    }

    public int oneOf(String key, int defaultValue, int... allowed) {
        ConfigFile.Entry e = entry(key);
        if (e == null) {
            return defaultValue;
        }
        StringBuilder list = new StringBuilder();
        for (int a : allowed) {
            list.append(list.length() == 0 ? "" : ", ").append(a);
        }
        try {
            int v = Integer.parseInt(e.value());
            for (int a : allowed) {
                if (a == v) {
                    return v;
                }
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        problem(e, "must be one of " + list);
        return defaultValue;
    }

    /** A byte size: plain bytes or with a K/M/G/T suffix (binary units: 1K = 1024). */
    public long size(String key, long defaultValue, long min, long max) {
        ConfigFile.Entry e = entry(key);
        if (e == null) {
            return defaultValue;
        }
        Long v = parseSize(e.value());
        if (v == null) {
            problem(e, "not a size (allowed " + formatSize(min) + " to " + formatSize(max)
                    + "; examples: 1048576, 512K, 64M, 10G)");
            return defaultValue;
        }
        if (v < min || v > max) {
            problem(e, "must be between " + formatSize(min) + " and " + formatSize(max));
            return defaultValue;
        }
        return v;
    }

    /** Parses a size ("4096", "512K", "64MiB", "1G"; binary units), or returns null if it is none. */
    public static Long parseSize(String text) {
        var m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            return null;
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return null;
        }
        String unit = m.group(2) == null ? "" : m.group(2).toUpperCase(Locale.ROOT);
        int shift = switch (unit.isEmpty() ? ' ' : unit.charAt(0)) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
            return null;
        }
        return n << shift;
    }

    public static String formatSize(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int i = 0;
        long v = bytes;
        while (i < units.length - 1 && v >= 1024 && v % 1024 == 0) {
            v /= 1024;
            i++;
        }
        return v + " " + units[i];
    }

    /** host:port; a missing key yields the default (which may be null for "required"). */
    public InetSocketAddress address(String key, InetSocketAddress defaultValue) {
        ConfigFile.Entry e = entry(key);
        if (e == null) {
            if (defaultValue == null) {
                missing(key, "host:port");
            }
            return defaultValue;
        }
        String v = e.value();
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            problem(e, "expected host:port");
            return defaultValue;
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException ex) {
            problem(e, "port is not a number (1 to 65535)");
            return defaultValue;
        }
        if (port < 1 || port > 65535) {
            problem(e, "port must be between 1 and 65535");
            return defaultValue;
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    public <E extends Enum<E>> E choice(String key, Class<E> type, E defaultValue) {
        ConfigFile.Entry e = entry(key);
        if (e == null) {
            return defaultValue;
        }
        StringBuilder allowed = new StringBuilder();
        for (E c : type.getEnumConstants()) {
            String name = c.name().toLowerCase(Locale.ROOT).replace('_', '-');
            if (name.equals(e.value().toLowerCase(Locale.ROOT))) {
                return c;
            }
            allowed.append(allowed.length() == 0 ? "" : ", ").append(name);
        }
        problem(e, "must be one of " + allowed);
        return defaultValue;
    }

    public UUID uuid(String key, UUID defaultValue) {
        ConfigFile.Entry e = entry(key);
        if (e == null) {
            return defaultValue;
        }
        try {
            return UUID.fromString(e.value());
        } catch (IllegalArgumentException ex) {
            problem(e, "not a UUID (example: 3f2b8c9e-6a1d-4d3e-9b7a-2c5f0e1d4a6b)");
            return defaultValue;
        }
    }

    /** Throws if any problem was found or any key was never read (unknown key). */
    public void finish() throws ConfigException {
        for (ConfigFile.Entry e : file.entries().values()) {
            if (!used.contains(e.key())) {
                problem(e, "unknown key");
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
