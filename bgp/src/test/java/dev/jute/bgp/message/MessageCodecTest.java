package dev.jute.bgp.message;

import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.NextHop;
import dev.jute.bgp.Prefix;
import dev.jute.bgp.rib.RouteAttributes;
import dev.jute.bgp.rib.UpdatePacker;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.jute.bgp.message.Wire.*;
import static org.junit.jupiter.api.Assertions.*;

/** Hand-built messages following the RFC layouts, and the NOTIFICATION each error must produce. */
class MessageCodecTest {
    final MessageDecoder four = new MessageDecoder(true);
    final MessageDecoder two = new MessageDecoder(false);

    static BgpDecodeException expectError(MessageDecoder d, byte[] wire, int code, int subcode) {
        BgpDecodeException e = assertThrows(BgpDecodeException.class, () -> d.decode(wire));
        assertEquals(code + "/" + subcode, e.code() + "/" + e.subcode(), e.getMessage());
        return e;
    }

    @Test
    void openWithCapabilitiesEncodesToRfcLayout() throws Exception {
        OpenMessage open = OpenMessage.of(4200000001L, 90, 0x0A000001L, List.of(
                new Capability.Multiprotocol(1, 1), new Capability.Multiprotocol(2, 1), new Capability.RouteRefresh(),
                new Capability.FourOctetAs(4200000001L),
                new Capability.GracefulRestart(0, 120, List.of(new Capability.GracefulRestart.Family(1, 1, 0x80)))));
        String expected = "ffffffffffffffffffffffffffffffff" + "003b" + "01"
                + "04" + "5ba0" + "005a" + "0a000001" + "1e"
                + "02" + "1c" + "0104 00010001" + "0104 00020001" + "0200" + "4104 fa56ea01" + "4006 0078 000101 80";
        byte[] wire = new MessageEncoder(true).encode(open);
        assertEquals(expected.replace(" ", ""), hex(wire));
        assertEquals(open, four.decode(wire));
    }

    @Test
    void oneCapabilityPerParameterIsPreserved() throws Exception {
        byte[] wire = message(1, "04 fde9 00b4 0a000001 10 0206 0104 00010001 0206 4104 0000fde9");
        OpenMessage open = (OpenMessage) four.decode(wire);
        assertEquals(2, open.capabilityGroups().size());
        assertEquals(65001, open.effectiveAs());
        assertEquals(hex(wire), hex(new MessageEncoder(true).encode(open)));
    }

    @Test
    void unknownCapabilitiesAreTolerated() throws Exception {
        // FQDN (73), extended next hop (5), ADD-PATH (69), enhanced route refresh (70).
        byte[] wire = message(1, "04 fde9 00b4 0a000001 20 021e 4906 04686f7374 00 0506 000100010002 4504 00010103 4600 4104 0000fde9");
        OpenMessage open = (OpenMessage) four.decode(wire);
        assertEquals(5, open.capabilities().size());
        assertEquals(hex(wire), hex(new MessageEncoder(true).encode(open)));
    }

    @Test
    void keepaliveNotificationAndRouteRefreshRoundTrip() throws Exception {
        for (BgpMessage m : List.of(KeepaliveMessage.INSTANCE, new RouteRefreshMessage(2, 0, 1),
                new NotificationMessage(6, 2, new byte[] {3, 'b', 'y', 'e'}))) {
            byte[] wire = new MessageEncoder(true).encode(m);
            assertEquals(m, four.decode(wire));
        }
        assertEquals("cease / administrative shutdown: bye",
                new NotificationMessage(6, 2, new byte[] {3, 'b', 'y', 'e'}).describe());
    }

    // ---------------------------------------------------------------- header and OPEN errors

    @Test
    void headerErrors() {
        byte[] badMarker = message(4, "");
        badMarker[3] = 0;
        expectError(four, badMarker, 1, 1);
        byte[] shortLength = message(4, "");
        shortLength[17] = 18;
        assertArrayEquals(new byte[] {0, 18}, expectError(four, shortLength, 1, 2).toNotification().data());
        byte[] longLength = message(4, "");
        longLength[16] = 0x10;
        longLength[17] = 0x01;
        expectError(four, longLength, 1, 2);
        assertArrayEquals(new byte[] {9}, expectError(four, message(9, ""), 1, 3).toNotification().data());
        expectError(four, message(4, "00"), 1, 2); // KEEPALIVE must be exactly 19 octets
        expectError(four, message(5, "0001"), 1, 2); // ROUTE-REFRESH must be 23
        expectError(four, message(2, "00"), 1, 2); // UPDATE shorter than 23
        expectError(four, message(1, "04fde9"), 1, 2); // OPEN shorter than 29
    }

    @Test
    void openErrors() {
        assertArrayEquals(new byte[] {0, 4},
                expectError(four, message(1, "03 fde9 00b4 0a000001 00"), 2, 1).toNotification().data());
        expectError(four, message(1, "04 fde9 0002 0a000001 00"), 2, 6);
        expectError(four, message(1, "04 fde9 0001 0a000001 00"), 2, 6);
        expectError(four, message(1, "04 fde9 00b4 00000000 00"), 2, 3);
        expectError(four, message(1, "04 fde9 00b4 0a000001 04 0102 0000"), 2, 4);
        expectError(four, message(1, "04 fde9 00b4 0a000001 05 0203 0104 00"), 2, 0); // capability overruns
        expectError(four, message(1, "04 fde9 00b4 0a000001 09 0207 0105 0001000100"), 2, 0); // MP length 5
        expectError(four, message(1, "04 fde9 00b4 0a000001 09 0206 0104 00010001"), 1, 2); // param length mismatch
    }

    // ---------------------------------------------------------------- UPDATE and RFC 7606

    @Test
    void updateRoundTripsWithAllAttributeTypes() throws Exception {
        String attrs = "40010101" + "4002 10 0202 0000fdea 0000fdeb 0101 0000fdec" + "400304c0000201"
                + "80040400000064" + "400504000000c8" + "400600" + "c00708 0000fdea c0000201"
                + "c00808 fdea0001 ffffff01" + "80090401020304" + "800a080a0000010a000002"
                + "c0200c 0000fdea 00000001 00000002";
        byte[] wire = update("180a0100", attrs, "180a0200 100a03 00");
        UpdateMessage u = (UpdateMessage) four.decode(wire);
        assertEquals(List.of(), u.errors());
        assertEquals(List.of(Prefix.parse("10.1.0.0/24")), u.withdrawn());
        assertEquals(List.of(Prefix.parse("10.2.0.0/24"), Prefix.parse("10.3.0.0/16"), Prefix.parse("0.0.0.0/0")), u.nlri());
        assertEquals(hex(wire), hex(new MessageEncoder(true).encode(u)));
        RouteAttributes a = RouteAttributes.fromWire(u.attributes(), true, null);
        assertEquals(1, a.origin());
        assertEquals("65002 65003 {65004}", a.asPath().toString());
        assertEquals(3, a.asPath().length());
        assertEquals(100, a.med());
        assertEquals(200, a.localPref());
        assertTrue(a.atomicAggregate());
        assertEquals(65002, a.aggregatorAs());
        assertTrue(a.hasCommunity(RouteAttributes.NO_EXPORT));
        assertEquals(0x01020304L, a.originatorId());
        assertEquals(List.of(0x0a000001, 0x0a000002), a.clusterList());
        assertEquals(1, a.otherTransitive().size());
        assertEquals(PathAttribute.OPTIONAL_TRANSITIVE | PathAttribute.FLAG_PARTIAL, a.otherTransitive().get(0).flags(),
                "unknown transitive attributes are passed on with the Partial bit");
    }

    @Test
    void unknownNonTransitiveAttributesAreDropped() throws Exception {
        UpdateMessage u = (UpdateMessage) four.decode(update("", BASIC_ATTRS + "801a0b01000b000000000000000a", "180a0200"));
        assertEquals(List.of(), u.errors());
        assertEquals(List.of(), RouteAttributes.fromWire(u.attributes(), true, null).otherTransitive());
    }

    @Test
    void ipv6MpReachWithLinkLocalAndMpUnreach() throws Exception {
        String reach = "900e002c 0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00 30 20010db80001";
        String unreach = "800f 08 0002 01 20 20010db8";
        byte[] wire = update("", reach + "40010100 40020602010000fdea" + unreach, "");
        UpdateMessage u = (UpdateMessage) four.decode(wire);
        assertEquals(List.of(Prefix.parse("2001:db8:1::/48")), u.allAnnounced());
        assertEquals(List.of(Prefix.parse("2001:db8::/32")), u.allWithdrawn());
        assertEquals(hex(wire), hex(new MessageEncoder(true).encode(u)));
    }

    @Test
    void twoOctetSessionRebuildsPathFromAs4Path() throws Exception {
        // AS_PATH 65002 23456 23456, AS4_PATH 4200000001 4200000002.
        String attrs = "40010100" + "4002 08 0203 fdea 5ba0 5ba0" + "400304c0000201"
                + "c0110a 0202 fa56ea01 fa56ea02";
        UpdateMessage u = (UpdateMessage) two.decode(update("", attrs, "180a0200"));
        RouteAttributes a = RouteAttributes.fromWire(u.attributes(), false, null);
        assertEquals(AsPath.sequence(65002, 4200000001L, 4200000002L), a.asPath());
        // On a 4-octet session AS4_PATH is ignored.
        assertEquals(AsPath.sequence(65002, 23456, 23456), RouteAttributes.fromWire(u.attributes(), true, null).asPath());
    }

    @Test
    void packerTranslatesFourOctetPathsForTwoOctetPeers() throws Exception {
        RouteAttributes a = RouteAttributes.local(NextHop.of(InetAddress.getByName("192.0.2.1")))
                .withAsPath(AsPath.sequence(4200000001L, 65002));
        Map<Prefix, RouteAttributes> routes = new LinkedHashMap<>();
        routes.put(Prefix.parse("10.9.0.0/16"), a);
        UpdateMessage u = new UpdatePacker(false).announcements(AddressFamily.IPV4, routes).get(0);
        byte[] wire = new MessageEncoder(false).encode(u);
        assertTrue(hex(wire).contains("400206" + "0202" + "5ba0" + "fdea"), hex(wire));
        assertTrue(hex(wire).contains("c0110a" + "0202" + "fa56ea01" + "0000fdea"), hex(wire));
        UpdateMessage back = (UpdateMessage) two.decode(wire);
        assertEquals(a.asPath(), RouteAttributes.fromWire(back.attributes(), false, null).asPath());
    }

    @Test
    void packerSplitsLargeAnnouncementsIntoMessagesOfAtMost4096Octets() throws Exception {
        RouteAttributes a = RouteAttributes.local(NextHop.of(InetAddress.getByName("2001:db8::1")));
        Map<Prefix, RouteAttributes> routes = new LinkedHashMap<>();
        for (int i = 0; i < 5000; i++) {
            routes.put(Prefix.of(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, (byte) (i >> 8), (byte) i, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 0}, 64), a);
        }
        List<UpdateMessage> updates = new UpdatePacker(true).announcements(AddressFamily.IPV6, routes);
        int total = 0;
        for (UpdateMessage u : updates) {
            byte[] wire = new MessageEncoder(true).encode(u);
            assertTrue(wire.length <= 4096);
            total += ((UpdateMessage) four.decode(wire)).allAnnounced().size();
        }
        assertEquals(5000, total);
        assertTrue(updates.size() <= 12, "packed: " + updates.size());
    }

    static void assertTreatAsWithdraw(UpdateMessage u, int attributeType) {
        assertTrue(u.treatAsWithdraw(), u.errors().toString());
        assertTrue(u.errors().stream().anyMatch(e -> e.attributeType() == attributeType), u.errors().toString());
    }

    @Test
    void rfc7606TreatAsWithdrawCases() throws Exception {
        String nlri = "180a0200";
        // Invalid ORIGIN value.
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", "40010105 40020602010000fdea 400304c0000201", nlri)), 1);
        // Missing well-known mandatory NEXT_HOP.
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", "40010100 40020602010000fdea", nlri)), 3);
        // Missing ORIGIN.
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", "40020602010000fdea 400304c0000201", nlri)), 1);
        // NEXT_HOP of length 5, and a multicast NEXT_HOP.
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", "40010100 40020602010000fdea 400305c000020101", nlri)), 3);
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", "40010100 40020602010000fdea 400304e0000001", nlri)), 3);
        // AS_PATH segment with zero ASes, and an AS_PATH segment overrunning its attribute.
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", "40010100 4002020200 400304c0000201", nlri)), 2);
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", "40010100 40020602020000fdea 400304c0000201", nlri)), 2);
        // MED flagged transitive (flags conflict), LOCAL_PREF of length 2.
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", BASIC_ATTRS + "c0040400000001", nlri)), 4);
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", BASIC_ATTRS + "4005020001", nlri)), 5);
        // COMMUNITIES not a multiple of 4, ORIGINATOR_ID of 3 octets, empty CLUSTER_LIST.
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", BASIC_ATTRS + "c00803fdea00", nlri)), 8);
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", BASIC_ATTRS + "800903010203", nlri)), 9);
        assertTreatAsWithdraw((UpdateMessage) four.decode(update("", BASIC_ATTRS + "800a00", nlri)), 10);
        // Last attribute overruns the attribute list: NLRI still located from the total length.
        UpdateMessage overrun = (UpdateMessage) four.decode(update("", BASIC_ATTRS + "c00808fdea0001", nlri));
        assertTrue(overrun.treatAsWithdraw());
        assertEquals(List.of(Prefix.parse("10.2.0.0/24")), overrun.nlri());
        // Fewer octets left than an attribute header.
        assertTrue(((UpdateMessage) four.decode(update("", BASIC_ATTRS + "c008", nlri))).treatAsWithdraw());
    }

    @Test
    void rfc7606AttributeDiscardCases() throws Exception {
        String nlri = "180a0200";
        // ATOMIC_AGGREGATE with a value, AGGREGATOR of length 7, malformed AS4_PATH: discarded, routes kept.
        for (String bad : List.of("40060101", "c007070000fdeac00002", "c01103020100")) {
            UpdateMessage u = (UpdateMessage) four.decode(update("", BASIC_ATTRS + bad, nlri));
            assertFalse(u.treatAsWithdraw(), bad);
            assertEquals(UpdateMessage.AttributeError.Action.ATTRIBUTE_DISCARD, u.errors().get(0).action(), bad);
            assertEquals(3, u.attributes().size(), bad);
        }
        // A second COMMUNITIES attribute is discarded, the first is kept.
        UpdateMessage dup = (UpdateMessage) four.decode(update("", BASIC_ATTRS + "c00804fdea0001 c00804fdea0002", nlri));
        assertFalse(dup.treatAsWithdraw());
        assertArrayEquals(new int[] {0xfdea0001}, dup.attribute(PathAttribute.Communities.class).communities());
    }

    @Test
    void rfc7606SessionResetCases() {
        String nlri = "180a0200";
        // Withdrawn length beyond the message.
        expectError(four, message(2, "0010 0000"), 3, 1);
        // Total attribute length beyond the message.
        expectError(four, message(2, "0000 0010 400101"), 3, 1);
        // MP_REACH_NLRI twice.
        String reach = "800e1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8";
        expectError(four, update("", reach + reach + "40010100 40020602010000fdea", ""), 3, 1);
        // MP_REACH_NLRI with a 5-octet IPv6 next hop.
        expectError(four, update("", "800e0b 0002 01 05 2001000000 00 10 2001 40010100", ""), 3, 9);
        // MP_UNREACH_NLRI prefix overrunning the attribute.
        expectError(four, update("", "800f05 0002 01 40 20", ""), 3, 9);
        // MP_REACH_NLRI with wrong flags.
        expectError(four, update("", "400e1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8", ""), 3, 4);
        // Unrecognized well-known attribute.
        expectError(four, update("", BASIC_ATTRS + "406301ff", nlri), 3, 2);
        // NLRI prefix length 33, and a truncated NLRI prefix.
        expectError(four, update("", BASIC_ATTRS, "210a020000ff"), 3, 10);
        expectError(four, update("", BASIC_ATTRS, "180a02"), 3, 10);
    }

    @Test
    void endOfRibMarkers() throws Exception {
        assertEquals(AddressFamily.IPV4, ((UpdateMessage) four.decode(update("", "", ""))).endOfRibFamily());
        byte[] v6 = new MessageEncoder(true).encode(UpdateMessage.endOfRib(AddressFamily.IPV6));
        assertEquals("ffffffffffffffffffffffffffffffff001d0200000006800f03000201", hex(v6));
        assertEquals(AddressFamily.IPV6, ((UpdateMessage) four.decode(v6)).endOfRibFamily());
        assertNull(((UpdateMessage) four.decode(update("180a0100", "", ""))).endOfRibFamily());
    }
}
