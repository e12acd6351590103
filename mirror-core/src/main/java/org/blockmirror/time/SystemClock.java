package org.blockmirror.time;

/** {@link MonotonicClock} backed by {@link System#nanoTime()} and {@link System#currentTimeMillis()}. */
enum SystemClock implements MonotonicClock {
    INSTANCE;

    @Override
    public long nanos() {
        return System.nanoTime();
    }

    @Override
    public long wallMillis() {
        return System.currentTimeMillis();
    }
}
