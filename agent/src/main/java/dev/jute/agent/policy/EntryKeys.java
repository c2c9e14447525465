package dev.jute.agent.policy;

import dev.jute.dataplane.bpf.IpPrefix;
import dev.jute.dataplane.bpf.PolicyKey;
import dev.jute.dataplane.bpf.PolicyPeer;
import dev.jute.dataplane.bpf.TrafficDirection;
import dev.jute.policy.AllowEntry;
import dev.jute.policy.Direction;
import dev.jute.policy.DirectionRules;
import dev.jute.policy.EntryPeer;
import dev.jute.policy.IpCidr;

import java.util.HashSet;
import java.util.Set;

/**
 * The policy module's compiled entries in the dataplane's key shape. The two models were made to
 * match (an {@link AllowEntry} is a policy key without its endpoint and direction), so this is a
 * field-by-field translation: port prefixes are already the map's prefixes.
 */
final class EntryKeys {

    private EntryKeys() {
    }

    static TrafficDirection direction(Direction direction) {
        return direction == Direction.INGRESS ? TrafficDirection.INGRESS : TrafficDirection.EGRESS;
    }

    static IpPrefix prefix(IpCidr cidr) {
        return new IpPrefix(cidr.network(), cidr.prefixLength());
    }

    static PolicyKey key(int endpointId, Direction direction, AllowEntry entry) {
        PolicyPeer peer = switch (entry.peer()) {
            case EntryPeer.Any any -> PolicyPeer.ANY;
            case EntryPeer.Identity identity -> new PolicyPeer.Identity(identity.identity());
            case EntryPeer.Cidr cidr -> new PolicyPeer.Cidr(prefix(cidr.cidr()));
        };
        return new PolicyKey(endpointId, direction(direction), peer, entry.protocol().ipProtocolNumber(),
                entry.ports().base(), entry.ports().length());
    }

    static Set<PolicyKey> keys(int endpointId, Direction direction, Iterable<AllowEntry> entries) {
        Set<PolicyKey> keys = new HashSet<>();
        for (AllowEntry entry : entries) {
            keys.add(key(endpointId, direction, entry));
        }
        return keys;
    }

    static Set<PolicyKey> keys(int endpointId, DirectionRules ingress, DirectionRules egress) {
        Set<PolicyKey> keys = keys(endpointId, Direction.INGRESS, ingress.entries());
        keys.addAll(keys(endpointId, Direction.EGRESS, egress.entries()));
        return keys;
    }
}
