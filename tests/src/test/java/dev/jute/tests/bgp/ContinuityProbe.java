package dev.jute.tests.bgp;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Watches a condition every 100 ms on a thread of its own and remembers every moment it was false: proof
 * that a route stayed in place during a restart, not just before and after it.
 */
final class ContinuityProbe implements AutoCloseable {

    private final String what;
    private final BooleanSupplier condition;
    private final List<Long> gaps = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stop;
    private int samples;

    ContinuityProbe(String what, BooleanSupplier condition) {
        this.what = what;
        this.condition = condition;
        this.thread = Thread.ofPlatform().daemon().name("probe").start(this::run);
    }

    private void run() {
        long start = System.nanoTime();
        while (!stop) {
            boolean ok = condition.getAsBoolean();
            synchronized (gaps) {
                samples++;
                if (!ok) {
                    gaps.add((System.nanoTime() - start) / 1_000_000);
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops watching and fails if the condition was ever false (or was hardly watched at all). */
    void assertNeverBroken() {
        close();
        synchronized (gaps) {
            if (samples < 5) {
                throw new AssertionError(what + ": only " + samples + " samples taken");
            }
            if (!gaps.isEmpty()) {
                throw new AssertionError(what + " was broken at " + gaps.size() + " of " + samples + " samples (ms after start: "
                                         + gaps.subList(0, Math.min(10, gaps.size())) + ")");
            }
        }
    }

    int samples() {
        synchronized (gaps) {
            return samples;
        }
    }

    @Override
    public void close() {
        stop = true;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
