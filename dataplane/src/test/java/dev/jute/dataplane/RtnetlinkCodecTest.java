package dev.jute.dataplane;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static dev.jute.dataplane.NetlinkConstants.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Request layouts, and decoding. Requests and the kernel's replies share their layout (family
 * header + attributes), so a request fed back to the decoder must give the same value.
 */
class RtnetlinkCodecTest {

    /** The message as the kernel would see or send it: header parsed, payload in native order. */
    private static NetlinkMessage asReceived(NetlinkMessageBuilder builder) {
        ByteBuffer bytes = ByteBuffer.wrap(builder.toBytes(7, NLM_F_REQUEST)).order(ByteOrder.nativeOrder());
        var messages = NetlinkSocket.split(bytes);
        assertEquals(1, messages.size());
        return messages.getFirst();
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void vethRequestPutsPeerNameAndNamespaceInsideVethInfoPeer() {
        NetlinkMessage message = asReceived(RtnetlinkCodec.newVeth("host0", "eth0", 42, 1450,
                MacAddress.parse("ee:ee:ee:ee:ee:ee")));
        assertEquals(RTM_NEWLINK, message.type());
        assertEquals(NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL, message.flags());
        ByteBuffer ifinfomsg = message.payload();
        assertEquals(LibC.AF_UNSPEC, ifinfomsg.get(0));
        assertEquals(0, ifinfomsg.getInt(4), "no index: a new link");

        NetlinkAttributes attributes = message.attributesAfter(IFINFOMSG_LEN);
        assertEquals("host0", attributes.string(IFLA_IFNAME).orElseThrow());
        assertEquals(1450, attributes.u32(IFLA_MTU).orElseThrow());
        assertEquals(MacAddress.parse("ee:ee:ee:ee:ee:ee"), MacAddress.of(attributes.bytes(IFLA_ADDRESS).orElseThrow()));
        assertFalse(attributes.has(IFLA_NET_NS_FD), "the local end stays here");

        NetlinkAttributes linkInfo = attributes.nested(IFLA_LINKINFO).orElseThrow();
        assertEquals("veth", linkInfo.string(IFLA_INFO_KIND).orElseThrow());
        ByteBuffer peer = linkInfo.nested(IFLA_INFO_DATA).orElseThrow().value(VETH_INFO_PEER).orElseThrow();
        assertEquals(0, peer.getInt(4), "peer ifinfomsg comes first");
        NetlinkAttributes peerAttributes = NetlinkAttributes.parse(peer, IFINFOMSG_LEN, peer.limit());
        assertEquals("eth0", peerAttributes.string(IFLA_IFNAME).orElseThrow());
        assertEquals(1450, peerAttributes.u32(IFLA_MTU).orElseThrow());
        assertEquals(42, peerAttributes.u32(IFLA_NET_NS_FD).orElseThrow());
        assertFalse(peerAttributes.has(IFLA_ADDRESS));
    }

    @Test
    void vethWithoutNamespaceOrMacOmitsThem() {
        NetlinkMessage message = asReceived(RtnetlinkCodec.newVeth("a", "b", -1, 1500, null));
        NetlinkAttributes attributes = message.attributesAfter(IFINFOMSG_LEN);
        assertFalse(attributes.has(IFLA_ADDRESS));
        ByteBuffer peer = attributes.nested(IFLA_LINKINFO).orElseThrow().nested(IFLA_INFO_DATA).orElseThrow()
                .value(VETH_INFO_PEER).orElseThrow();
        assertFalse(NetlinkAttributes.parse(peer, IFINFOMSG_LEN, peer.limit()).has(IFLA_NET_NS_FD));
    }

    @Test
    void invalidInterfaceNamesAreRefusedBeforeTheKernelSeesThem() {
        assertThrows(IllegalArgumentException.class, () -> RtnetlinkCodec.newVeth("a-name-of-16-chr", "b", -1, 1500, null));
        assertThrows(IllegalArgumentException.class, () -> RtnetlinkCodec.getLink("eth/0"));
        assertThrows(IllegalArgumentException.class, () -> RtnetlinkCodec.deleteLink(""));
    }

    @Test
    void setLinkUpChangesOnlyTheUpFlag() {
        ByteBuffer header = asReceived(RtnetlinkCodec.setLinkUp(9, false)).payload();
        assertEquals(9, header.getInt(4));
        assertEquals(0, header.getInt(8));
        assertEquals(IFF_UP, header.getInt(12));
    }

    @Test
    void parsesLinkFields() {
        NetlinkMessageBuilder reply = new NetlinkMessageBuilder(RTM_NEWLINK, 0)
                .u8(0).u8(0).u16(1).u32(12).u32(IFF_UP | 0x1000).u32(0)
                .attributeString(IFLA_IFNAME, "jute0")
                .attributeU32(IFLA_MTU, 1400)
                .attribute(IFLA_ADDRESS, new byte[]{2, 0, 0, 0, 0, 1});
        int info = reply.beginNested(IFLA_LINKINFO);
        reply.attributeString(IFLA_INFO_KIND, "veth").endNested(info);
        Link link = RtnetlinkCodec.parseLink(asReceived(reply));
        assertEquals(new Link(12, "jute0", 1400, MacAddress.parse("02:00:00:00:00:01"), true, "veth"), link);

        Link loopback = RtnetlinkCodec.parseLink(asReceived(new NetlinkMessageBuilder(RTM_NEWLINK, 0)
                .u8(0).u8(0).u16(772).u32(1).u32(0).u32(0).attributeString(IFLA_IFNAME, "lo")));
        assertNull(loopback.kind());
        assertNull(loopback.mac());
        assertFalse(loopback.up());
    }

    @Test
    void addressRoundTripKeepsFlagsAboveEightBits() throws Exception {
        Address address = new Address(4, ip("fd00::5"), 128, RouteScope.UNIVERSE, Address.NODAD | 0x200);
        NetlinkMessage message = asReceived(RtnetlinkCodec.address(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, address));
        ByteBuffer header = message.payload();
        assertEquals(LibC.AF_INET6, header.get(0));
        assertEquals((byte) 128, header.get(1));
        assertEquals(Address.NODAD, header.get(2), "ifa_flags holds the low 8 bits");
        assertEquals(4, header.getInt(4));
        assertEquals(address, RtnetlinkCodec.parseAddress(message));
    }

    @Test
    void ipv4AddressRoundTrip() throws Exception {
        Address address = new Address(3, ip("10.1.2.3"), 24, RouteScope.UNIVERSE, 0);
        NetlinkMessage message = asReceived(RtnetlinkCodec.address(RTM_NEWADDR, 0, address));
        assertFalse(message.attributesAfter(IFADDRMSG_LEN).has(IFA_FLAGS));
        assertEquals(address, RtnetlinkCodec.parseAddress(message));
        assertEquals(LibC.AF_INET, address.family());
    }

    @Test
    void routeRequestLayout() throws Exception {
        Route route = Route.to(ip("10.0.0.5"), 32).device(7).withScope(RouteScope.LINK).withProtocol(RouteProtocol.JUTE);
        NetlinkMessage message = asReceived(RtnetlinkCodec.route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, route));
        ByteBuffer rtmsg = message.payload();
        assertEquals(LibC.AF_INET, rtmsg.get(0));
        assertEquals(32, rtmsg.get(1));
        assertEquals((byte) RouteTable.MAIN, rtmsg.get(4));
        assertEquals(RouteProtocol.JUTE, rtmsg.get(5));
        assertEquals((byte) RouteScope.LINK, rtmsg.get(6));
        assertEquals(Route.TYPE_UNICAST, rtmsg.get(7));
        NetlinkAttributes attributes = message.attributesAfter(RTMSG_LEN);
        assertArrayEquals(new byte[]{10, 0, 0, 5}, attributes.bytes(RTA_DST).orElseThrow());
        assertEquals(7, attributes.u32(RTA_OIF).orElseThrow());
        assertFalse(attributes.has(RTA_GATEWAY));
        assertFalse(attributes.has(RTA_PRIORITY));
        assertEquals(RouteTable.MAIN, attributes.u32(RTA_TABLE).orElseThrow());
        assertEquals(route, RtnetlinkCodec.parseRoute(message).orElseThrow());
    }

    @Test
    void defaultRouteHasNoDestinationAttributeAndBigTablesUseRtaTable() throws Exception {
        Route route = Route.defaultRoute(LibC.AF_INET6).via(ip("fe80::ecee:eeff:feee:eeee")).device(2)
                .withTable(1000).withOnLink(true).withPriority(1024);
        NetlinkMessage message = asReceived(RtnetlinkCodec.route(RTM_NEWROUTE, 0, route));
        assertEquals(0, message.payload().get(4), "rtm_table cannot hold 1000");
        assertEquals(RTNH_F_ONLINK, message.payload().getInt(8));
        NetlinkAttributes attributes = message.attributesAfter(RTMSG_LEN);
        assertFalse(attributes.has(RTA_DST));
        assertEquals(1000, attributes.u32(RTA_TABLE).orElseThrow());
        Route parsed = RtnetlinkCodec.parseRoute(message).orElseThrow();
        assertEquals(route, parsed);
        assertTrue(parsed.isDefault());
        assertEquals(LibC.AF_INET6, parsed.family());
    }

    @Test
    void clonedRoutesAreSkipped() {
        NetlinkMessageBuilder reply = new NetlinkMessageBuilder(RTM_NEWROUTE, 0)
                .u8(LibC.AF_INET6).u8(128).u8(0).u8(0).u8(254).u8(2).u8(0).u8(1).u32(0x200)
                .attribute(RTA_DST, new byte[16]);
        assertTrue(RtnetlinkCodec.parseRoute(asReceived(reply)).isEmpty());
    }

    @Test
    void neighbourRoundTrip() throws Exception {
        Neighbour neighbour = new Neighbour(3, ip("169.254.1.1"), PtpPodWiring.HOST_MAC, Neighbour.PERMANENT);
        NetlinkMessage message = asReceived(RtnetlinkCodec.neighbour(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, neighbour));
        assertEquals(Neighbour.PERMANENT, message.payload().getShort(8));
        assertEquals(neighbour, RtnetlinkCodec.parseNeighbour(message).orElseThrow());
        assertTrue(neighbour.isPermanent());
    }

    @Test
    void ipv4MappedIpv6AddressStaysIpv6() {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 1;
        assertInstanceOf(Inet6Address.class, RtnetlinkCodec.inetAddress(LibC.AF_INET6, mapped));
        assertThrows(IllegalArgumentException.class, () -> RtnetlinkCodec.inetAddress(LibC.AF_INET, mapped));
    }

    @Test
    void truncatedFamilyHeaderIsAnError() {
        NetlinkMessage shortMessage = asReceived(new NetlinkMessageBuilder(RTM_NEWROUTE, 0).u32(0));
        assertThrows(IllegalArgumentException.class, () -> RtnetlinkCodec.parseRoute(shortMessage));
    }
}
