package dev.jute.bgp.rib;

import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.NextHop;
import dev.jute.bgp.Prefix;
import dev.jute.bgp.message.AsPath;
import dev.jute.bgp.message.BgpMessage;
import dev.jute.bgp.message.MessageEncoder;
import dev.jute.bgp.message.PathAttribute;
import dev.jute.bgp.message.UpdateMessage;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns Adj-RIB-Out changes into as few UPDATE messages as fit in 4096 octets: one attribute set
 * per message with as many prefixes as fit, withdrawals packed separately.
 */
public final class UpdatePacker {
    /** Room left in a message for attributes and NLRI after the header and both length fields. */
    private static final int BODY_BUDGET = BgpMessage.MAX_LENGTH - BgpMessage.HEADER_LENGTH - 4;
    private static final int MP_OVERHEAD = 4 + 3; // extended attribute header + AFI/SAFI

    private final boolean fourOctetAs;

    public UpdatePacker(boolean fourOctetAs) {
        this.fourOctetAs = fourOctetAs;
    }

    public List<UpdateMessage> withdrawals(AddressFamily family, Collection<Prefix> prefixes) {
        List<UpdateMessage> out = new ArrayList<>();
        List<Prefix> batch = new ArrayList<>();
        int used = family == AddressFamily.IPV4 ? 0 : MP_OVERHEAD;
        for (Prefix p : prefixes) {
            int size = MessageEncoder.prefixSize(p);
            if (used + size > BODY_BUDGET) {
                out.add(withdrawMessage(family, batch));
                batch = new ArrayList<>();
                used = family == AddressFamily.IPV4 ? 0 : MP_OVERHEAD;
            }
            batch.add(p);
            used += size;
        }
        if (!batch.isEmpty()) {
            out.add(withdrawMessage(family, batch));
        }
        return out;
    }

    private static UpdateMessage withdrawMessage(AddressFamily family, List<Prefix> batch) {
        if (family == AddressFamily.IPV4) {
            return new UpdateMessage(batch, List.of(), List.of());
        }
        return new UpdateMessage(List.of(),
                List.of(new PathAttribute.MpUnreach(family.afi(), AddressFamily.SAFI_UNICAST, batch)), List.of());
    }

    /** Announcements of one family, grouped by attribute set. */
    public List<UpdateMessage> announcements(AddressFamily family, Map<Prefix, RouteAttributes> routes) {
        Map<RouteAttributes, List<Prefix>> groups = new LinkedHashMap<>();
        routes.forEach((p, a) -> groups.computeIfAbsent(a, k -> new ArrayList<>()).add(p));
        List<UpdateMessage> out = new ArrayList<>();
        MessageEncoder sizer = new MessageEncoder(fourOctetAs);
        for (Map.Entry<RouteAttributes, List<Prefix>> g : groups.entrySet()) {
            List<PathAttribute> common = wireAttributes(g.getKey(), family);
            int commonSize = sizer.encode(new UpdateMessage(List.of(), common, List.of())).length
                    - BgpMessage.HEADER_LENGTH - 4;
            int budget = BODY_BUDGET - commonSize;
            byte[] mpNextHop = family == AddressFamily.IPV4 ? null : mpNextHop(g.getKey().nextHop());
            if (mpNextHop != null) {
                budget -= MP_OVERHEAD + 1 + mpNextHop.length + 1;
            }
            List<Prefix> batch = new ArrayList<>();
            int used = 0;
            for (Prefix p : g.getValue()) {
                int size = MessageEncoder.prefixSize(p);
                if (used + size > budget) {
                    out.add(announceMessage(family, common, mpNextHop, batch));
                    batch = new ArrayList<>();
                    used = 0;
                }
                batch.add(p);
                used += size;
            }
            if (!batch.isEmpty()) {
                out.add(announceMessage(family, common, mpNextHop, batch));
            }
        }
        return out;
    }

    private static UpdateMessage announceMessage(AddressFamily family, List<PathAttribute> common, byte[] mpNextHop,
                                                 List<Prefix> batch) {
        if (family == AddressFamily.IPV4) {
            return new UpdateMessage(List.of(), common, batch);
        }
        List<PathAttribute> attributes = new ArrayList<>(common.size() + 1);
        attributes.add(new PathAttribute.MpReach(family.afi(), AddressFamily.SAFI_UNICAST, mpNextHop, batch));
        attributes.addAll(common);
        return new UpdateMessage(List.of(), attributes, List.of());
    }

    /** Global address, then link-local when present (RFC 2545 §3); IPv4 next hops become IPv4-mapped. */
    private static byte[] mpNextHop(NextHop hop) {
        byte[] global = ipv6Bytes(hop.address());
        if (hop.linkLocal() == null) {
            return global;
        }
        byte[] both = new byte[32];
        System.arraycopy(global, 0, both, 0, 16);
        System.arraycopy(hop.linkLocal().getAddress(), 0, both, 16, 16);
        return both;
    }

    static byte[] ipv6Bytes(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 16) {
            return b;
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        System.arraycopy(b, 0, mapped, 12, 4);
        return mapped;
    }

    /** The attributes of one group in type-code order, translated for a 2-octet session if needed. */
    List<PathAttribute> wireAttributes(RouteAttributes a, AddressFamily family) {
        List<PathAttribute> out = new ArrayList<>();
        out.add(new PathAttribute.Origin(a.origin()));
        out.add(new PathAttribute.AsPathAttribute(a.asPath()));
        if (family == AddressFamily.IPV4) {
            out.add(new PathAttribute.NextHop(ipv4(a.nextHop().address())));
        }
        if (a.med() >= 0) {
            out.add(new PathAttribute.MultiExitDisc(a.med()));
        }
        if (a.localPref() >= 0) {
            out.add(new PathAttribute.LocalPref(a.localPref()));
        }
        if (a.atomicAggregate()) {
            out.add(new PathAttribute.AtomicAggregate(PathAttribute.WELL_KNOWN));
        }
        if (a.aggregatorAs() >= 0) {
            out.add(new PathAttribute.Aggregator(PathAttribute.OPTIONAL_TRANSITIVE, a.aggregatorAs(), a.aggregatorAddress()));
        }
        if (!a.communities().isEmpty()) {
            out.add(new PathAttribute.Communities(PathAttribute.OPTIONAL_TRANSITIVE,
                    a.communities().stream().mapToInt(Integer::intValue).toArray()));
        }
        if (a.originatorId() >= 0) {
            out.add(new PathAttribute.OriginatorId(PathAttribute.OPTIONAL_NON_TRANSITIVE, (int) a.originatorId()));
        }
        if (!a.clusterList().isEmpty()) {
            out.add(new PathAttribute.ClusterList(PathAttribute.OPTIONAL_NON_TRANSITIVE,
                    a.clusterList().stream().mapToInt(Integer::intValue).toArray()));
        }
        if (!fourOctetAs) {
            // RFC 6793 §4.2.2: AS_TRANS in the 2-octet fields, the real values in AS4_* attributes.
            AsPath path = a.asPath();
            if (path.hasFourOctetAs()) {
                out.add(new PathAttribute.As4PathAttribute(PathAttribute.OPTIONAL_TRANSITIVE,
                        path.withoutConfederationSegments()));
            }
            if (a.aggregatorAs() > 0xFFFF) {
                out.add(new PathAttribute.As4Aggregator(PathAttribute.OPTIONAL_TRANSITIVE, a.aggregatorAs(),
                        a.aggregatorAddress()));
            }
        }
        List<PathAttribute.Unknown> others = new ArrayList<>(a.otherTransitive());
        others.sort((x, y) -> Integer.compare(x.typeCode(), y.typeCode()));
        out.addAll(others);
        return out;
    }

    private static int ipv4(InetAddress address) {
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("IPv4 route with non-IPv4 next hop " + address);
        }
        byte[] b = address.getAddress();
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }

}
