package dev.jute.agent;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts and times CNI requests per command and outcome; the metrics endpoint of a later issue exports
 * them, and the agent logs a summary on shutdown.
 */
public final class CniMetrics {

    /** Totals of one (command, outcome). */
    public static final class Series {
        private final LongAdder count = new LongAdder();
        private final LongAdder nanos = new LongAdder();

        public long count() {
            return count.sum();
        }

        public double meanMillis() {
            long n = count.sum();
            return n == 0 ? 0 : nanos.sum() / 1e6 / n;
        }
    }

    private final Map<String, Series> series = new ConcurrentHashMap<>();

    public void record(String command, boolean success, long nanos) {
        Series s = series.computeIfAbsent(command + (success ? " ok" : " error"), k -> new Series());
        s.count.increment();
        s.nanos.add(nanos);
    }

    public Map<String, Series> snapshot() {
        return Map.copyOf(series);
    }
}
