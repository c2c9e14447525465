package dev.jute.cni;

import java.io.IOException;
import java.nio.channels.Channel;
import java.time.Duration;

/**
 * Enforces a deadline on blocking channel I/O: unix-domain {@code SocketChannel}s in blocking mode
 * ignore socket timeouts, so a daemon thread closes the channel when the deadline passes, which
 * makes the blocked read, write or connect fail with an {@code AsynchronousCloseException}.
 * {@link #fired()} then tells the caller that the failure was the timeout.
 *
 * <p>A plain thread (no executor, no lambda) keeps jute-cni's start-up class loading small.
 */
final class ChannelWatchdog implements Runnable, AutoCloseable {
    private final Channel channel;
    private final long deadlineNanos;
    private boolean done;
    private volatile boolean fired;

    private ChannelWatchdog(Channel channel, Duration timeout) {
        this.channel = channel;
        this.deadlineNanos = System.nanoTime() + Math.max(1L, timeout.toNanos());
    }

    /** Starts watching; close the watchdog as soon as the guarded I/O is over. */
    static ChannelWatchdog start(Channel channel, Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        ChannelWatchdog watchdog = new ChannelWatchdog(channel, timeout);
        Thread thread = new Thread(watchdog, "jute-channel-watchdog");
        thread.setDaemon(true);
        thread.start();
        return watchdog;
    }

    @Override
    public void run() {
        synchronized (this) {
            while (!done) {
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    fired = true;
                    break;
                }
                try {
                    // wait(ms, ns) rounds, so wait at least 1 ms and re-check the clock.
                    wait(Math.max(1L, remaining / 1_000_000L));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
        if (fired) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing is all we can do; the blocked caller sees the channel closed either way
            }
        }
    }

    /** Did the deadline pass (and the channel get closed)? */
    boolean fired() {
        return fired;
    }

    @Override
    public void close() {
        synchronized (this) {
            done = true;
            notifyAll();
        }
    }
}
