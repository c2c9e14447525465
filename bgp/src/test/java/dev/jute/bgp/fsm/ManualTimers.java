package dev.jute.bgp.fsm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A clock the test moves by hand; due tasks run in time order on the test thread. */
public final class ManualTimers implements Timers {
    private long now;
    private long sequence;
    private final List<Task> tasks = new ArrayList<>();

    private final class Task implements Timer {
        final long due;
        final long order = sequence++;
        final Runnable action;
        boolean cancelled;

        Task(long due, Runnable action) {
            this.due = due;
            this.action = action;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    @Override
    public Timer schedule(Duration delay, Runnable task) {
        Task t = new Task(now + delay.toMillis(), task);
        tasks.add(t);
        return t;
    }

    @Override
    public long nowMillis() {
        return now;
    }

    public void advance(Duration d) {
        long target = now + d.toMillis();
        while (true) {
            Task next = tasks.stream().filter(t -> !t.cancelled && t.due <= target)
                    .min(Comparator.<Task>comparingLong(t -> t.due).thenComparingLong(t -> t.order)).orElse(null);
            if (next == null) {
                break;
            }
            tasks.remove(next);
            now = next.due;
            next.action.run();
        }
        now = target;
        tasks.removeIf(t -> t.cancelled);
    }

    public int pending() {
        return (int) tasks.stream().filter(t -> !t.cancelled).count();
    }
}
