package dev.jute.agent;

import java.time.Duration;

/**
 * Runs one task on a thread of its own whenever {@link #trigger()} was called since its last run, so a
 * burst of informer events causes one pass. A failing pass is retried with backoff (the state it
 * converges to may have been only partly written).
 */
public final class CoalescingLoop implements AutoCloseable {

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Log log;
    private final Duration firstBackoff;
    private final Runnable task;
    private final Thread thread;
    private boolean pending;
    private boolean closed;

    /**
     * @param name         the thread's name
     * @param log          where failed passes are reported
     * @param firstBackoff the wait before the first retry; it doubles up to 30 s while passes keep failing
     */
    public CoalescingLoop(String name, Log log, Duration firstBackoff, Runnable task) {
        this.log = log;
        this.firstBackoff = firstBackoff;
        this.task = task;
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
    }

    public CoalescingLoop start() {
        thread.start();
        trigger();
        return this;
    }

    /** Something changed: a pass follows soon. Cheap, from any thread (e.g. an informer's). */
    public synchronized void trigger() {
        pending = true;
        notifyAll();
    }

    private void run() {
        Duration backoff = firstBackoff;
        while (true) {
            synchronized (this) {
                while (!pending && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                pending = false;
            }
            try {
                task.run();
                backoff = firstBackoff;
            } catch (RuntimeException e) {
                log.warn("update failed; retrying", "task", thread.getName(), "in_ms", backoff.toMillis(), "error", e.toString());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    return;
                }
                Duration doubled = backoff.multipliedBy(2);
                backoff = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
                trigger();
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
