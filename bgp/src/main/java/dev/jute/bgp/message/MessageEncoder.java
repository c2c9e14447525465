package dev.jute.bgp.message;

import dev.jute.bgp.Prefix;

import java.util.List;

import static dev.jute.bgp.message.PathAttribute.*;

/**
 * Encodes messages to wire bytes. Attributes are written in the order and with the flags they
 * carry; the extended-length bit is added when a value exceeds 255 octets.
 */
public final class MessageEncoder {
    private final boolean fourOctetAs;

    /** @param fourOctetAs whether AS_PATH and AGGREGATOR use 4-octet AS numbers on this session */
    public MessageEncoder(boolean fourOctetAs) {
        this.fourOctetAs = fourOctetAs;
    }

    public byte[] encode(BgpMessage message) {
        WireWriter w = new WireWriter(message instanceof UpdateMessage ? 512 : 64);
        for (int i = 0; i < 16; i++) {
            w.u8(0xFF);
        }
        w.u16(0); // length, patched below
        w.u8(message.type());
        switch (message) {
            case OpenMessage open -> writeOpen(w, open);
            case UpdateMessage update -> writeUpdate(w, update);
            case NotificationMessage n -> {
                w.u8(n.code());
                w.u8(n.subcode());
                w.bytes(n.data());
            }
            case KeepaliveMessage k -> {
            }
            case RouteRefreshMessage rr -> {
                w.u16(rr.afi());
                w.u8(rr.subtype());
                w.u8(rr.safi());
            }
        }
        if (w.size() > BgpMessage.MAX_LENGTH) {
            throw new IllegalArgumentException("message of " + w.size() + " octets exceeds 4096");
        }
        w.patch16(16, w.size());
        return w.toByteArray();
    }

    private static void writeOpen(WireWriter w, OpenMessage open) {
        w.u8(open.version());
        w.u16(open.myAs());
        w.u16(open.holdTime());
        w.u32(open.bgpIdentifier());
        int lengthAt = w.size();
        w.u8(0);
        for (List<Capability> group : open.capabilityGroups()) {
            w.u8(2);
            int groupAt = w.size();
            w.u8(0);
            for (Capability c : group) {
                writeCapability(w, c);
            }
            int groupLength = w.size() - groupAt - 1;
            if (groupLength > 255) {
                throw new IllegalArgumentException("capabilities parameter longer than 255 octets");
            }
            w.patch8(groupAt, groupLength);
        }
        int paramsLength = w.size() - lengthAt - 1;
        if (paramsLength > 255) {
            throw new IllegalArgumentException("optional parameters longer than 255 octets");
        }
        w.patch8(lengthAt, paramsLength);
    }

    private static void writeCapability(WireWriter w, Capability c) {
        w.u8(c.code());
        int lengthAt = w.size();
        w.u8(0);
        switch (c) {
            case Capability.Multiprotocol mp -> {
                w.u16(mp.afi());
                w.u8(0);
                w.u8(mp.safi());
            }
            case Capability.RouteRefresh rr -> {
            }
            case Capability.FourOctetAs four -> w.u32(four.as());
            case Capability.GracefulRestart gr -> {
                w.u16((gr.flags() << 12) | (gr.restartTime() & 0x0FFF));
                for (Capability.GracefulRestart.Family f : gr.families()) {
                    w.u16(f.afi());
                    w.u8(f.safi());
                    w.u8(f.flags());
                }
            }
            case Capability.Unknown u -> w.bytes(u.value());
        }
        w.patch8(lengthAt, w.size() - lengthAt - 1);
    }

    private void writeUpdate(WireWriter w, UpdateMessage update) {
        int withdrawnAt = w.size();
        w.u16(0);
        writePrefixes(w, update.withdrawn());
        w.patch16(withdrawnAt, w.size() - withdrawnAt - 2);
        int attributesAt = w.size();
        w.u16(0);
        for (PathAttribute a : update.attributes()) {
            writeAttribute(w, a);
        }
        w.patch16(attributesAt, w.size() - attributesAt - 2);
        writePrefixes(w, update.nlri());
    }

    /** Octets one prefix takes in NLRI encoding. */
    public static int prefixSize(Prefix p) {
        return 1 + (p.length() + 7) / 8;
    }

    static void writePrefixes(WireWriter w, List<Prefix> prefixes) {
        for (Prefix p : prefixes) {
            w.u8(p.length());
            w.bytes(p.addressBytes(), 0, (p.length() + 7) / 8);
        }
    }

    private void writeAttribute(WireWriter w, PathAttribute a) {
        WireWriter v = new WireWriter(32);
        switch (a) {
            case Origin o -> v.u8(o.origin());
            case AsPathAttribute p -> writeAsPath(v, p.path(), fourOctetAs);
            case As4PathAttribute p -> writeAsPath(v, p.path(), true);
            case PathAttribute.NextHop nh -> v.u32(nh.address() & 0xFFFF_FFFFL);
            case MultiExitDisc m -> v.u32(m.med());
            case LocalPref lp -> v.u32(lp.localPref());
            case AtomicAggregate aa -> {
            }
            case Aggregator ag -> {
                if (fourOctetAs) {
                    v.u32(ag.as());
                } else {
                    v.u16(ag.as() > 0xFFFF ? OpenMessage.AS_TRANS : (int) ag.as());
                }
                v.u32(ag.address() & 0xFFFF_FFFFL);
            }
            case As4Aggregator ag -> {
                v.u32(ag.as());
                v.u32(ag.address() & 0xFFFF_FFFFL);
            }
            case Communities c -> {
                for (int x : c.communities()) {
                    v.u32(x & 0xFFFF_FFFFL);
                }
            }
            case OriginatorId id -> v.u32(id.originatorId() & 0xFFFF_FFFFL);
            case ClusterList cl -> {
                for (int x : cl.clusterIds()) {
                    v.u32(x & 0xFFFF_FFFFL);
                }
            }
            case MpReach m -> {
                v.u16(m.afi());
                v.u8(m.safi());
                byte[] nh = m.nextHop();
                v.u8(nh.length);
                v.bytes(nh);
                v.u8(0);
                writePrefixes(v, m.nlri());
                v.bytes(m.opaqueNlri());
            }
            case MpUnreach m -> {
                v.u16(m.afi());
                v.u8(m.safi());
                writePrefixes(v, m.withdrawn());
                v.bytes(m.opaqueNlri());
            }
            case Unknown u -> v.bytes(u.value());
        }
        int flags = a.flags();
        if (v.size() > 255) {
            flags |= FLAG_EXTENDED_LENGTH;
        }
        w.u8(flags);
        w.u8(a.typeCode());
        if ((flags & FLAG_EXTENDED_LENGTH) != 0) {
            w.u16(v.size());
        } else {
            w.u8(v.size());
        }
        w.bytes(v.toByteArray());
    }

    private static void writeAsPath(WireWriter v, AsPath path, boolean fourOctet) {
        for (AsPath.Segment s : path.segments()) {
            int[] asns = s.asns();
            v.u8(s.type());
            v.u8(asns.length);
            for (int as : asns) {
                long value = as & 0xFFFF_FFFFL;
                if (fourOctet) {
                    v.u32(value);
                } else {
                    v.u16(value > 0xFFFF ? OpenMessage.AS_TRANS : (int) value);
                }
            }
        }
    }
}
