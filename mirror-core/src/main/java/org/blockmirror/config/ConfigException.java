package org.blockmirror.config;

import java.util.List;

/** The configuration is unusable; the message lists every problem, one per line. */
public class ConfigException extends Exception {
    private final List<String> problems;

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    public ConfigException(List<String> problems) {
        super(String.join(System.lineSeparator(), problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
