package dev.jute.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The reference implementation of NetworkPolicy semantics: answers, for one connection, whether the
 * policies in a {@link ClusterState} allow it and why. Written for clarity, not speed; the compiled
 * dataplane state ({@link PolicyCompiler}) is tested against it.
 */
public final class PolicyEvaluator {

    private final ClusterState state;
    private final Function<String, Map<String, String>> namespaceLabels;

    public PolicyEvaluator(ClusterState state) {
        this.state = Objects.requireNonNull(state, "state");
        this.namespaceLabels = state::namespaceLabels;
    }

    /** A connection between two pods. */
    public Verdict allowed(Endpoint source, Endpoint destination, int port, Protocol protocol) {
        return allowed((Party) source, destination, port, protocol);
    }

    /**
     * A connection where either side may be an external address. An external side has no policies:
     * only the pod side's direction is checked.
     */
    public Verdict allowed(Party source, Party destination, int port, Protocol protocol) {
        Objects.requireNonNull(protocol, "protocol");
        if (port < 0 || port > PortRange.MAX_PORT) {
            throw new IllegalArgumentException("port " + port + " is outside 0-65535");
        }
        DirectionVerdict egress = evaluate(Direction.EGRESS, source, destination, destination, port, protocol);
        DirectionVerdict ingress = evaluate(Direction.INGRESS, destination, source, destination, port, protocol);
        return new Verdict(source, destination, port, protocol, egress, ingress);
    }

    /**
     * One direction, from {@code subject}'s point of view.
     *
     * @param remote      the other side
     * @param destination the side whose container ports resolve named ports
     */
    public DirectionVerdict evaluate(Direction direction, Party subject, Party remote, Party destination, int port,
                                     Protocol protocol) {
        if (!(subject instanceof Endpoint pod)) {
            return new DirectionVerdict(direction, subject, List.of(), List.of());
        }
        List<ObjectRef> isolating = new ArrayList<>();
        List<RuleMatch> allowedBy = new ArrayList<>();
        for (Policy policy : state.isolatingPolicies(pod, direction)) {
            isolating.add(policy.ref());
            List<PolicyRule> rules = policy.rules(direction);
            for (int i = 0; i < rules.size(); i++) {
                if (rules.get(i).allows(remote, destination, port, protocol, policy.namespace(), namespaceLabels)) {
                    allowedBy.add(new RuleMatch(policy.ref(), direction, i));
                }
            }
        }
        return new DirectionVerdict(direction, subject, isolating, allowedBy);
    }
}
