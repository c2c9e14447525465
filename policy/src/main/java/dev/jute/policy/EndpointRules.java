package dev.jute.policy;

import java.util.Objects;

/** The compiled policy of one endpoint: its identity and its two directions. */
public record EndpointRules(ObjectRef endpoint, int identity, DirectionRules ingress, DirectionRules egress) {

    public EndpointRules {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(ingress, "ingress");
        Objects.requireNonNull(egress, "egress");
    }

    public DirectionRules rules(Direction direction) {
        return direction == Direction.INGRESS ? ingress : egress;
    }
}
