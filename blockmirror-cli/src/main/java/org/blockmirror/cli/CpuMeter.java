package org.blockmirror.cli;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time this JVM spent during a measurement: the whole process, and per thread group
 * (threads named alike, digits dropped: "nioEventLoopGroup-3-1" counts as "nioEventLoopGroup--"),
 * to see which stage of the pipeline the CPU goes to. Threads that end during the
 * measurement are not in the breakdown.
 */
final class CpuMeter {

    /** CPU used between two snapshots. */
    record Usage(double processSeconds, Map<String, Double> secondsByThreadGroup) {
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final long processStart;
    private final Map<Long, Long> threadStart = new HashMap<>();

    CpuMeter() {
        processStart = processCpuNanos();
        if (threads.isThreadCpuTimeSupported()) {
            threads.setThreadCpuTimeEnabled(true);
            for (long id : threads.getAllThreadIds()) {
                threadStart.put(id, Math.max(0, threads.getThreadCpuTime(id)));
            }
        }
    }

    /** CPU used since this meter was made. */
    Usage stop() {
        double process = (processCpuNanos() - processStart) / 1e9;
        Map<String, Double> groups = new TreeMap<>();
        if (threads.isThreadCpuTimeSupported()) {
            for (long id : threads.getAllThreadIds()) {
                long now = threads.getThreadCpuTime(id);
                ThreadInfo info = threads.getThreadInfo(id);
                if (now < 0 || info == null) {
                    continue;
                }
                double used = (now - threadStart.getOrDefault(id, 0L)) / 1e9;
                groups.merge(info.getThreadName().replaceAll("[0-9]+", ""), used, Double::sum);
            }
        }
        return new Usage(process, groups);
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
