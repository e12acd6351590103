package org.blockmirror.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Collects what some classes log, from any thread, for assertions. Close to detach. */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    private final List<Logger> loggers;
    private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
    private final List<Level> savedLevels;

    public LogCapture(Class<?>... sources) {
        loggers = java.util.Arrays.stream(sources).map(c -> (Logger) LoggerFactory.getLogger(c)).toList();
        savedLevels = loggers.stream().map(Logger::getLevel).collect(Collectors.toList());
        setContext(loggers.get(0).getLoggerContext());
        start();
        loggers.forEach(l -> l.addAppender(this));
    }

    @Override
    protected void append(ILoggingEvent event) {
        events.add(event);
    }

    /** Formatted messages logged at {@code level}. */
    public List<String> messages(Level level) {
        return events.stream().filter(e -> e.getLevel() == level)
                .map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    /** Also captures (and prints) INFO of the sources, whatever the test configuration's level; undone on close. */
    public LogCapture withInfo() {
        loggers.forEach(l -> l.setLevel(Level.INFO));
        return this;
    }

    @Override
    public void close() {
        for (int i = 0; i < loggers.size(); i++) {
            loggers.get(i).setLevel(savedLevels.get(i));
        }
        loggers.forEach(l -> l.detachAppender(this));
        stop();
    }
}
