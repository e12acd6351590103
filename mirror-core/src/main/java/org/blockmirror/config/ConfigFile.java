package org.blockmirror.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed daemon configuration file: {@code key = value} lines, {@code #} comments, blank
 * lines ignored. Remembers the line of every key so errors can point at it.
 *
 * <p>Syntax errors (a line without '=', a key given twice) are collected, not thrown one at a
 * time, so an administrator sees every problem in one run.
 */
public final class ConfigFile {

    /** A value and where it came from. */
    public record Entry(String key, String value, int line) {
    }

    private final String source;
    private final Map<String, Entry> entries;
    private final List<String> syntaxErrors;

    private ConfigFile(String source, Map<String, Entry> entries, List<String> syntaxErrors) {
        this.source = source;
        this.entries = entries;
        this.syntaxErrors = syntaxErrors;
    }

    public static ConfigFile read(Path path) throws ConfigException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(path + ": configuration file does not exist");
        } catch (IOException e) {
            throw new ConfigException(path + ": cannot read configuration file: " + e.getMessage());
        }
        return parse(path.toString(), text);
    }

    public static ConfigFile parse(String source, String text) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                errors.add("line " + lineNo + ": expected 'key = value', got '" + line + "'");
                continue;
            }
            String key = line.substring(0, eq).strip();
            String value = stripInlineComment(line.substring(eq + 1)).strip();
            Entry previous = entries.put(key, new Entry(key, value, lineNo));
            if (previous != null) {
                errors.add("line " + lineNo + ": " + key + " is already set on line " + previous.line());
            }
        }
        return new ConfigFile(source, Collections.unmodifiableMap(entries), List.copyOf(errors));
    }

    /** Values may carry a trailing comment after " #". */
    private static String stripInlineComment(String value) {
        int hash = value.indexOf(" #");
        return hash >= 0 ? value.substring(0, hash) : value;
    }

    public String source() {
        return source;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public List<String> syntaxErrors() {
        return syntaxErrors;
    }

    /** Returns a copy without {@code key} (used to derive one daemon half's config from a unit's). */
    public ConfigFile without(String key) {
        Map<String, Entry> copy = new LinkedHashMap<>(entries);
        copy.remove(key);
        return new ConfigFile(source, Collections.unmodifiableMap(copy), syntaxErrors);
    }

    /** Returns a copy with {@code key} set (used by the demo and tests to derive configs). */
    public ConfigFile with(String key, String value) {
        Map<String, Entry> copy = new LinkedHashMap<>(entries);
        Entry old = copy.get(key);
        copy.put(key, new Entry(key, value, old == null ? 0 : old.line()));
        return new ConfigFile(source, Collections.unmodifiableMap(copy), syntaxErrors);
    }
}
