package dev.jute.agent.policy;

import dev.jute.agent.Log;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Feeds the enforcer from a source of complete cluster pictures on one thread of its own: sources only
 * {@link #trigger()} (cheap, from any thread, e.g. an informer's event thread), and bursts of changes
 * collapse into one update. A failed update is retried with backoff even if nothing changes, since the
 * enforcer then needs to converge with the maps again.
 */
public final class PolicyUpdateLoop implements AutoCloseable {

    private static final Log LOG = Log.of("policy");
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final PolicyEnforcer enforcer;
    private final Supplier<Optional<PolicyInputs>> inputs;
    private final Thread thread;
    private boolean pending;
    private boolean closed;

    /**
     * @param inputs the current complete picture, or empty while the source has not synced (then the
     *               enforcer keeps waiting and the next trigger tries again)
     */
    public PolicyUpdateLoop(PolicyEnforcer enforcer, Supplier<Optional<PolicyInputs>> inputs) {
        this.enforcer = enforcer;
        this.inputs = inputs;
        this.thread = Thread.ofPlatform().name("policy-sync").daemon().unstarted(this::run);
    }

    public PolicyUpdateLoop start() {
        thread.start();
        trigger();
        return this;
    }

    /** Something changed: an update follows soon. */
    public synchronized void trigger() {
        pending = true;
        notifyAll();
    }

    private void run() {
        Duration backoff = Duration.ofMillis(500);
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
                Optional<PolicyInputs> current = inputs.get();
                if (current.isPresent()) {
                    enforcer.update(current.get());
                }
                backoff = Duration.ofMillis(500);
            } catch (RuntimeException e) {
                LOG.warn("policy update failed; retrying", "in_ms", backoff.toMillis(), "error", e.toString());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
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
