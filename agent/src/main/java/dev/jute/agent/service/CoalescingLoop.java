package dev.jute.agent.service;

import dev.jute.agent.Log;

import java.time.Duration;

/**
 * Runs one task on a thread of its own whenever {@link #trigger()} was called since its last run, so a
 * burst of informer events causes one pass. A failing pass is retried with backoff (the state it
 * converges to may have been only partly written).
 */
final class CoalescingLoop implements AutoCloseable {

    private static final Log LOG = Log.of("service");
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Runnable task;
    private final Thread thread;
    private boolean pending;
    private boolean closed;

    CoalescingLoop(String name, Runnable task) {
        this.task = task;
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
    }

    CoalescingLoop start() {
        thread.start();
        trigger();
        return this;
    }

    synchronized void trigger() {
        pending = true;
        notifyAll();
    }

    private void run() {
        Duration backoff = Duration.ofMillis(200);
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
                backoff = Duration.ofMillis(200);
            } catch (RuntimeException e) {
                LOG.warn("update failed; retrying", "task", thread.getName(), "in_ms", backoff.toMillis(), "error", e.toString());
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
