package dev.jute.dataplane;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Optional;

import static dev.jute.dataplane.NetlinkConstants.*;

/**
 * Encodes rtnetlink requests and decodes the kernel's replies, without any I/O, so the byte layout
 * can be unit tested. Family headers follow {@code <linux/rtnetlink.h>}: {@code ifinfomsg} (16
 * bytes), {@code ifaddrmsg} (8), {@code rtmsg} (12), {@code ndmsg} (12).
 */
final class RtnetlinkCodec {

    /** {@code rtm_flags} bit of cached clones; such entries are not FIB routes. */
    private static final int RTM_F_CLONED = 0x200;

    private RtnetlinkCodec() {
    }

    // ---- links ----

    private static NetlinkMessageBuilder ifinfomsg(NetlinkMessageBuilder message, int index, int flags, int change) {
        return message.u8(LibC.AF_UNSPEC).u8(0).u16(0).u32(index).u32(flags).u32(change);
    }

    /**
     * RTM_NEWLINK for a veth pair. The peer's attributes sit in {@code VETH_INFO_PEER}, which starts
     * with its own {@code ifinfomsg}; {@code IFLA_NET_NS_FD} there makes the kernel create the peer
     * directly inside that namespace, so it never appears (even briefly) in ours.
     *
     * @param peerNamespaceFd file descriptor of the peer's namespace, or -1 for the current one
     * @param mac             address of {@code name}, or null to let the kernel pick a random one
     */
    static NetlinkMessageBuilder newVeth(String name, String peerName, int peerNamespaceFd, int mtu, MacAddress mac) {
        NetlinkMessageBuilder message = ifinfomsg(new NetlinkMessageBuilder(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL), 0, 0, 0)
                .attributeString(IFLA_IFNAME, InterfaceNames.requireValid(name))
                .attributeU32(IFLA_MTU, mtu);
        if (mac != null) {
            message.attribute(IFLA_ADDRESS, mac.bytes());
        }
        int linkInfo = message.beginNested(IFLA_LINKINFO);
        message.attributeString(IFLA_INFO_KIND, "veth");
        int infoData = message.beginNested(IFLA_INFO_DATA);
        int peer = message.beginNested(VETH_INFO_PEER);
        ifinfomsg(message, 0, 0, 0)
                .attributeString(IFLA_IFNAME, InterfaceNames.requireValid(peerName))
                .attributeU32(IFLA_MTU, mtu);
        if (peerNamespaceFd >= 0) {
            message.attributeU32(IFLA_NET_NS_FD, peerNamespaceFd);
        }
        message.endNested(peer).endNested(infoData).endNested(linkInfo);
        return message;
    }

    static NetlinkMessageBuilder getLink(String name) {
        return ifinfomsg(new NetlinkMessageBuilder(RTM_GETLINK, 0), 0, 0, 0)
                .attributeString(IFLA_IFNAME, InterfaceNames.requireValid(name));
    }

    static NetlinkMessageBuilder getLink(int index) {
        return ifinfomsg(new NetlinkMessageBuilder(RTM_GETLINK, 0), index, 0, 0);
    }

    static NetlinkMessageBuilder dumpLinks() {
        return ifinfomsg(new NetlinkMessageBuilder(RTM_GETLINK, 0), 0, 0, 0);
    }

    /** Changes only the IFF_UP bit ({@code ifi_change} masks the others). */
    static NetlinkMessageBuilder setLinkUp(int index, boolean up) {
        return ifinfomsg(new NetlinkMessageBuilder(RTM_NEWLINK, 0), index, up ? IFF_UP : 0, IFF_UP);
    }

    static NetlinkMessageBuilder deleteLink(String name) {
        return ifinfomsg(new NetlinkMessageBuilder(RTM_DELLINK, 0), 0, 0, 0)
                .attributeString(IFLA_IFNAME, InterfaceNames.requireValid(name));
    }

    static Link parseLink(NetlinkMessage message) {
        ByteBuffer header = message.payload();
        requireLength(message, IFINFOMSG_LEN, "ifinfomsg");
        int index = header.getInt(4);
        int flags = header.getInt(8);
        NetlinkAttributes attributes = message.attributesAfter(IFINFOMSG_LEN);
        String name = attributes.string(IFLA_IFNAME).orElse("");
        int mtu = attributes.u32(IFLA_MTU).orElse(0);
        MacAddress mac = attributes.bytes(IFLA_ADDRESS).filter(b -> b.length > 0).map(MacAddress::of).orElse(null);
        String kind = attributes.nested(IFLA_LINKINFO).flatMap(info -> info.string(IFLA_INFO_KIND)).orElse(null);
        return new Link(index, name, mtu, mac, (flags & IFF_UP) != 0, kind);
    }

    // ---- addresses ----

    static NetlinkMessageBuilder address(int type, int flags, Address address) {
        byte[] bytes = address.address().getAddress();
        NetlinkMessageBuilder message = new NetlinkMessageBuilder(type, flags)
                .u8(address.family()).u8(address.prefixLength()).u8(address.flags() & 0xff).u8(address.scope())
                .u32(address.interfaceIndex())
                .attribute(IFA_LOCAL, bytes)
                .attribute(IFA_ADDRESS, bytes);
        if (address.flags() != 0) {
            // ifa_flags is 8 bits; IFA_FLAGS carries the full 32-bit set.
            message.attributeU32(IFA_FLAGS, address.flags());
        }
        return message;
    }

    static NetlinkMessageBuilder dumpAddresses(int family) {
        return new NetlinkMessageBuilder(RTM_GETADDR, 0).u8(family).u8(0).u8(0).u8(0).u32(0);
    }

    static Address parseAddress(NetlinkMessage message) {
        ByteBuffer header = message.payload();
        requireLength(message, IFADDRMSG_LEN, "ifaddrmsg");
        int family = Byte.toUnsignedInt(header.get(0));
        int prefixLength = Byte.toUnsignedInt(header.get(1));
        int flags = Byte.toUnsignedInt(header.get(2));
        int scope = Byte.toUnsignedInt(header.get(3));
        int index = header.getInt(4);
        NetlinkAttributes attributes = message.attributesAfter(IFADDRMSG_LEN);
        // For point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is always our own address.
        byte[] bytes = attributes.bytes(IFA_LOCAL).or(() -> attributes.bytes(IFA_ADDRESS))
                .orElseThrow(() -> new IllegalArgumentException("RTM_NEWADDR without an address"));
        flags = attributes.u32(IFA_FLAGS).orElse(flags);
        return new Address(index, inetAddress(family, bytes), prefixLength, scope, flags);
    }

    // ---- routes ----

    static NetlinkMessageBuilder route(int type, int flags, Route route) {
        int table = route.table();
        NetlinkMessageBuilder message = new NetlinkMessageBuilder(type, flags)
                .u8(route.family()).u8(route.prefixLength()).u8(0).u8(0)
                // rtm_table is 8 bits; RTA_TABLE below carries the full id.
                .u8(table < 256 ? table : RouteTable.UNSPEC)
                .u8(route.protocol()).u8(route.scope()).u8(route.type())
                .u32(route.onLink() ? RTNH_F_ONLINK : 0);
        if (route.prefixLength() > 0) {
            message.attribute(RTA_DST, route.destination().getAddress());
        }
        if (route.gateway() != null) {
            message.attribute(RTA_GATEWAY, route.gateway().getAddress());
        }
        if (route.outputInterface() != 0) {
            message.attributeU32(RTA_OIF, route.outputInterface());
        }
        if (route.priority() != 0) {
            message.attributeU32(RTA_PRIORITY, route.priority());
        }
        message.attributeU32(RTA_TABLE, table);
        return message;
    }

    static NetlinkMessageBuilder dumpRoutes(int family) {
        return new NetlinkMessageBuilder(RTM_GETROUTE, 0)
                .u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
    }

    /** The route in {@code message}, or empty for entries that are not FIB routes of an IP family (cached clones). */
    static Optional<Route> parseRoute(NetlinkMessage message) {
        ByteBuffer header = message.payload();
        requireLength(message, RTMSG_LEN, "rtmsg");
        int family = Byte.toUnsignedInt(header.get(0));
        int flags = header.getInt(8);
        if ((family != LibC.AF_INET && family != LibC.AF_INET6) || (flags & RTM_F_CLONED) != 0) {
            return Optional.empty();
        }
        int prefixLength = Byte.toUnsignedInt(header.get(1));
        int table = Byte.toUnsignedInt(header.get(4));
        int protocol = Byte.toUnsignedInt(header.get(5));
        int scope = Byte.toUnsignedInt(header.get(6));
        int type = Byte.toUnsignedInt(header.get(7));
        NetlinkAttributes attributes = message.attributesAfter(RTMSG_LEN);
        InetAddress destination = attributes.bytes(RTA_DST).map(b -> inetAddress(family, b))
                .orElseGet(() -> Prefixes.unspecified(family));
        InetAddress gateway = attributes.bytes(RTA_GATEWAY).map(b -> inetAddress(family, b)).orElse(null);
        int outputInterface = attributes.u32(RTA_OIF).orElse(0);
        table = attributes.u32(RTA_TABLE).orElse(table);
        int priority = attributes.u32(RTA_PRIORITY).orElse(0);
        return Optional.of(new Route(destination, prefixLength, gateway, outputInterface, scope, protocol, table, type,
                (flags & RTNH_F_ONLINK) != 0, priority));
    }

    // ---- neighbours ----

    static NetlinkMessageBuilder neighbour(int type, int flags, Neighbour neighbour) {
        int family = neighbour.address() instanceof Inet6Address ? LibC.AF_INET6 : LibC.AF_INET;
        NetlinkMessageBuilder message = new NetlinkMessageBuilder(type, flags)
                .u8(family).u8(0).u16(0).u32(neighbour.interfaceIndex()).u16(neighbour.state()).u8(0).u8(0)
                .attribute(NDA_DST, neighbour.address().getAddress());
        if (neighbour.mac() != null) {
            message.attribute(NDA_LLADDR, neighbour.mac().bytes());
        }
        return message;
    }

    static NetlinkMessageBuilder dumpNeighbours(int family) {
        return new NetlinkMessageBuilder(RTM_GETNEIGH, 0).u8(family).u8(0).u16(0).u32(0).u16(0).u8(0).u8(0);
    }

    /** The neighbour in {@code message}, or empty for entries without an IP address (bridge FDB and the like). */
    static Optional<Neighbour> parseNeighbour(NetlinkMessage message) {
        ByteBuffer header = message.payload();
        requireLength(message, NDMSG_LEN, "ndmsg");
        int family = Byte.toUnsignedInt(header.get(0));
        if (family != LibC.AF_INET && family != LibC.AF_INET6) {
            return Optional.empty();
        }
        int index = header.getInt(4);
        int state = Short.toUnsignedInt(header.getShort(8));
        NetlinkAttributes attributes = message.attributesAfter(NDMSG_LEN);
        Optional<byte[]> destination = attributes.bytes(NDA_DST);
        if (destination.isEmpty()) {
            return Optional.empty();
        }
        MacAddress mac = attributes.bytes(NDA_LLADDR).filter(b -> b.length > 0).map(MacAddress::of).orElse(null);
        return Optional.of(new Neighbour(index, inetAddress(family, destination.get()), mac, state));
    }

    // ---- helpers ----

    /**
     * Builds an address of the given family. IPv6 goes through {@link Inet6Address} explicitly
     * because {@link InetAddress#getByAddress(byte[])} turns {@code ::ffff:a.b.c.d} into an IPv4
     * address, which would change the family under our feet.
     */
    static InetAddress inetAddress(int family, byte[] bytes) {
        try {
            if (family == LibC.AF_INET6 && bytes.length == 16) {
                return Inet6Address.getByAddress(null, bytes, null);
            }
            if (family == LibC.AF_INET && bytes.length == 4) {
                return Inet4Address.getByAddress(bytes);
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
        throw new IllegalArgumentException(bytes.length + "-byte address for address family " + family);
    }

    private static void requireLength(NetlinkMessage message, int length, String header) {
        if (message.payload().limit() < length) {
            throw new IllegalArgumentException(NetlinkConstants.messageTypeName(message.type()) + " shorter than its "
                                               + header + " (" + message.payload().limit() + " bytes)");
        }
    }
}
