package dev.jute.policy;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A validated NetworkPolicy in the form the evaluator and compiler use: defaults applied (protocol
 * TCP, policyTypes derived from the rules), selectors compiled, CIDRs parsed.
 *
 * @param policyTypes the directions this policy isolates its pods for; never empty
 */
public record Policy(ObjectRef ref, SelectorMatcher podSelector, Set<Direction> policyTypes,
                     List<PolicyRule> ingress, List<PolicyRule> egress) {

    public Policy {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(podSelector, "podSelector");
        policyTypes = policyTypes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(policyTypes));
        ingress = List.copyOf(ingress);
        egress = List.copyOf(egress);
    }

    /**
     * Validates and translates an API object.
     *
     * @throws InvalidPolicyException listing every problem when the object is invalid
     */
    public static Policy from(NetworkPolicy networkPolicy) {
        PolicyReader.Result result = PolicyReader.read(networkPolicy);
        if (!result.problems().isEmpty()) {
            throw new InvalidPolicyException(PolicyReader.describe(networkPolicy), result.problems());
        }
        return result.policy();
    }

    public String namespace() {
        return ref.namespace();
    }

    /** A policy selects only pods of its own namespace, by pod labels. */
    public boolean selects(Endpoint endpoint) {
        return endpoint.namespace().equals(ref.namespace()) && podSelector.matches(endpoint.labels());
    }

    /** Whether this policy isolates the pods it selects in {@code direction}. */
    public boolean isolates(Direction direction) {
        return policyTypes.contains(direction);
    }

    /**
     * The rules for a direction. Rules of a direction absent from policyTypes are ignored, as the
     * API documents (the server accepts such a policy).
     */
    public List<PolicyRule> rules(Direction direction) {
        if (!isolates(direction)) {
            return List.of();
        }
        return direction == Direction.INGRESS ? ingress : egress;
    }
}
