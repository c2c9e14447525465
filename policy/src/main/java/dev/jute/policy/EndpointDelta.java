package dev.jute.policy;

/**
 * How one endpoint's compiled policy changed.
 *
 * @param identityBefore {@link IdentityAllocator#UNKNOWN} when the endpoint is new
 * @param identityAfter  {@link IdentityAllocator#UNKNOWN} when the endpoint was removed
 */
public record EndpointDelta(ObjectRef endpoint, Change change, int identityBefore, int identityAfter,
                            DirectionDelta ingress, DirectionDelta egress) {

    public enum Change { ADDED, UPDATED, REMOVED }

    static EndpointDelta between(ObjectRef endpoint, EndpointRules before, EndpointRules after) {
        Change change = before == null ? Change.ADDED : after == null ? Change.REMOVED : Change.UPDATED;
        EndpointRules from = before == null ? new EndpointRules(endpoint, IdentityAllocator.UNKNOWN,
                DirectionRules.OPEN, DirectionRules.OPEN) : before;
        EndpointRules to = after == null ? new EndpointRules(endpoint, IdentityAllocator.UNKNOWN,
                DirectionRules.OPEN, DirectionRules.OPEN) : after;
        return new EndpointDelta(endpoint, change, from.identity(), to.identity(),
                DirectionDelta.between(from.ingress(), to.ingress()), DirectionDelta.between(from.egress(), to.egress()));
    }

    public DirectionDelta direction(Direction direction) {
        return direction == Direction.INGRESS ? ingress : egress;
    }
}
