package dev.jute.policy;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The decision for one direction of a connection, seen from one pod: the egress of the source or
 * the ingress of the destination.
 *
 * @param subject            the side whose policies were consulted
 * @param isolatingPolicies  the policies that select the subject for this direction; empty means
 *                           the subject is not isolated (or not a pod) and everything is allowed
 * @param allowedBy          every rule that allows the connection
 */
public record DirectionVerdict(Direction direction, Party subject, List<ObjectRef> isolatingPolicies,
                               List<RuleMatch> allowedBy) {

    public DirectionVerdict {
        isolatingPolicies = List.copyOf(isolatingPolicies);
        allowedBy = List.copyOf(allowedBy);
    }

    public boolean isolated() {
        return !isolatingPolicies.isEmpty();
    }

    public boolean allowed() {
        return !isolated() || !allowedBy.isEmpty();
    }

    /** One line, e.g. {@code ingress to x/a: isolated by x/p1, x/p2; allowed by x/p2 ingress[0]}. */
    public String explain() {
        String side = (direction == Direction.EGRESS ? "egress from " : "ingress to ") + subject.describe() + ": ";
        if (!(subject instanceof Endpoint)) {
            return side + "not a pod, no policy applies -> allowed";
        }
        if (!isolated()) {
            return side + "not isolated (no policy with " + direction.apiName() + " in policyTypes selects it) -> allowed";
        }
        String isolatedBy = "isolated by " + isolatingPolicies.stream().map(ObjectRef::toString).collect(Collectors.joining(", "));
        if (allowedBy.isEmpty()) {
            return side + isolatedBy + "; no rule allowed -> denied";
        }
        return side + isolatedBy + "; allowed by "
                + allowedBy.stream().map(RuleMatch::toString).collect(Collectors.joining(", ")) + " -> allowed";
    }
}
