package dev.jute.bgp.fsm;

import java.time.Duration;

/**
 * Schedules FSM timers on the thread that runs the FSM. Production uses the Netty event loop;
 * tests use a manual clock so timer behaviour is checked without waiting.
 */
public interface Timers {
    Timer schedule(Duration delay, Runnable task);

    /** Current time, for uptime reporting. */
    long nowMillis();

    interface Timer {
        void cancel();
    }
}
