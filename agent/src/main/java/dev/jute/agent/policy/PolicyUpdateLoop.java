package dev.jute.agent.policy;

import dev.jute.agent.CoalescingLoop;
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

    private final CoalescingLoop loop;

    /**
     * @param inputs the current complete picture, or empty while the source has not synced (then the
     *               enforcer keeps waiting and the next trigger tries again)
     */
    public PolicyUpdateLoop(PolicyEnforcer enforcer, Supplier<Optional<PolicyInputs>> inputs) {
        this.loop = new CoalescingLoop("policy-sync", LOG, Duration.ofMillis(500), () -> inputs.get().ifPresent(enforcer::update));
    }

    public PolicyUpdateLoop start() {
        loop.start();
        return this;
    }

    /** Something changed: an update follows soon. */
    public void trigger() {
        loop.trigger();
    }

    @Override
    public void close() {
        loop.close();
    }
}
