package dev.jute.bgp.rib;

import dev.jute.bgp.NextHop;
import dev.jute.bgp.message.AsPath;
import dev.jute.bgp.message.OpenMessage;
import dev.jute.bgp.message.PathAttribute;

import java.util.ArrayList;
import java.util.List;

/**
 * The attributes of a route after decoding, independent of how a particular session encodes them
 * (2- vs 4-octet AS numbers, classic vs multiprotocol next hop). Instances are interned, so a full
 * table whose prefixes share a few attribute sets holds only a few of these.
 *
 * @param med MULTI_EXIT_DISC, or -1 when absent
 * @param localPref LOCAL_PREF, or -1 when absent
 * @param aggregatorAs AGGREGATOR AS, or -1 when absent
 * @param originatorId ORIGINATOR_ID (RFC 4456), or -1 when absent
 * @param nextHop {@code null} for a locally originated route that uses next-hop-self
 * @param otherTransitive optional transitive attributes Jute does not interpret, Partial bit set
 */
public record RouteAttributes(int origin, AsPath asPath, NextHop nextHop, long med, long localPref,
                              boolean atomicAggregate, long aggregatorAs, int aggregatorAddress,
                              List<Integer> communities, long originatorId, List<Integer> clusterList,
                              List<PathAttribute.Unknown> otherTransitive) {

    public static final int NO_EXPORT = 0xFFFFFF01;
    public static final int NO_ADVERTISE = 0xFFFFFF02;
    public static final long DEFAULT_LOCAL_PREF = 100;

    public RouteAttributes {
        communities = List.copyOf(communities);
        clusterList = List.copyOf(clusterList);
        otherTransitive = List.copyOf(otherTransitive);
    }

    /** Attributes for a locally originated route: ORIGIN IGP, empty AS path. */
    public static RouteAttributes local(NextHop nextHop) {
        return new RouteAttributes(PathAttribute.Origin.IGP, AsPath.EMPTY, nextHop, -1, -1, false, -1, 0,
                List.of(), -1, List.of(), List.of());
    }

    /**
     * Builds the attributes of received routes from the wire attributes of one UPDATE. On a
     * 2-octet session the real AS path is rebuilt from AS_PATH and AS4_PATH (RFC 6793 §4.2.3);
     * on a 4-octet session AS4_* attributes are ignored as RFC 6793 §4.1 requires.
     */
    public static RouteAttributes fromWire(List<PathAttribute> attributes, boolean fourOctetSession, NextHop nextHop) {
        int origin = PathAttribute.Origin.INCOMPLETE;
        AsPath asPath = AsPath.EMPTY;
        AsPath as4Path = null;
        long med = -1;
        long localPref = -1;
        boolean atomic = false;
        long aggregatorAs = -1;
        int aggregatorAddress = 0;
        PathAttribute.As4Aggregator as4Aggregator = null;
        List<Integer> communities = List.of();
        long originatorId = -1;
        List<Integer> clusterList = List.of();
        List<PathAttribute.Unknown> other = new ArrayList<>();
        for (PathAttribute a : attributes) {
            switch (a) {
                case PathAttribute.Origin o -> origin = o.origin();
                case PathAttribute.AsPathAttribute p -> asPath = p.path();
                case PathAttribute.As4PathAttribute p -> as4Path = p.path();
                case PathAttribute.MultiExitDisc m -> med = m.med();
                case PathAttribute.LocalPref lp -> localPref = lp.localPref();
                case PathAttribute.AtomicAggregate x -> atomic = true;
                case PathAttribute.Aggregator ag -> {
                    aggregatorAs = ag.as();
                    aggregatorAddress = ag.address();
                }
                case PathAttribute.As4Aggregator ag -> as4Aggregator = ag;
                case PathAttribute.Communities c -> communities = boxed(c.communities());
                case PathAttribute.OriginatorId id -> originatorId = id.originatorId() & 0xFFFF_FFFFL;
                case PathAttribute.ClusterList cl -> clusterList = boxed(cl.clusterIds());
                case PathAttribute.Unknown u -> {
                    if (u.transitive()) {
                        other.add(new PathAttribute.Unknown(u.flags() | PathAttribute.FLAG_PARTIAL, u.typeCode(), u.value()));
                    }
                }
                case PathAttribute.NextHop nh -> {
                }
                case PathAttribute.MpReach m -> {
                }
                case PathAttribute.MpUnreach m -> {
                }
            }
        }
        if (!fourOctetSession) {
            // RFC 6793 §4.2.3: AS4 attributes only count when AGGREGATOR (if any) says AS_TRANS.
            boolean aggregatorAllowsAs4 = aggregatorAs < 0 || aggregatorAs == OpenMessage.AS_TRANS;
            if (aggregatorAllowsAs4) {
                if (as4Path != null) {
                    asPath = AsPath.merge(asPath, as4Path);
                }
                if (as4Aggregator != null && aggregatorAs == OpenMessage.AS_TRANS) {
                    aggregatorAs = as4Aggregator.as();
                    aggregatorAddress = as4Aggregator.address();
                }
            }
        }
        return new RouteAttributes(origin, asPath, nextHop, med, localPref, atomic, aggregatorAs, aggregatorAddress,
                communities, originatorId, clusterList, other);
    }

    private static List<Integer> boxed(int[] values) {
        List<Integer> out = new ArrayList<>(values.length);
        for (int v : values) {
            out.add(v);
        }
        return out;
    }

    public boolean hasCommunity(int community) {
        return communities.contains(community);
    }

    public RouteAttributes withNextHop(NextHop hop) {
        return new RouteAttributes(origin, asPath, hop, med, localPref, atomicAggregate, aggregatorAs,
                aggregatorAddress, communities, originatorId, clusterList, otherTransitive);
    }

    public RouteAttributes withAsPath(AsPath path) {
        return new RouteAttributes(origin, path, nextHop, med, localPref, atomicAggregate, aggregatorAs,
                aggregatorAddress, communities, originatorId, clusterList, otherTransitive);
    }

    public RouteAttributes withLocalPref(long value) {
        return new RouteAttributes(origin, asPath, nextHop, med, value, atomicAggregate, aggregatorAs,
                aggregatorAddress, communities, originatorId, clusterList, otherTransitive);
    }

    public RouteAttributes withMed(long value) {
        return new RouteAttributes(origin, asPath, nextHop, value, localPref, atomicAggregate, aggregatorAs,
                aggregatorAddress, communities, originatorId, clusterList, otherTransitive);
    }

    public RouteAttributes withCommunities(List<Integer> values) {
        return new RouteAttributes(origin, asPath, nextHop, med, localPref, atomicAggregate, aggregatorAs,
                aggregatorAddress, values, originatorId, clusterList, otherTransitive);
    }

    public RouteAttributes withOrigin(int value) {
        return new RouteAttributes(value, asPath, nextHop, med, localPref, atomicAggregate, aggregatorAs,
                aggregatorAddress, communities, originatorId, clusterList, otherTransitive);
    }

    /** The attributes with reflection state set (RFC 4456 §8). */
    public RouteAttributes withReflection(long originator, List<Integer> clusters) {
        return new RouteAttributes(origin, asPath, nextHop, med, localPref, atomicAggregate, aggregatorAs,
                aggregatorAddress, communities, originator, clusters, otherTransitive);
    }

    /** Localpref for the decision process: absent means the default. */
    public long effectiveLocalPref() {
        return localPref < 0 ? DEFAULT_LOCAL_PREF : localPref;
    }
}
