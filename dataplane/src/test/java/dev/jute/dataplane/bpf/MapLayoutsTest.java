package dev.jute.dataplane.bpf;

import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The byte layouts against the offsets of {@code lib/maps.h}, and the key value types. No root needed. */
class MapLayoutsTest {

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void policyKeyOfAnIdentityAndOnePort() {
        PolicyKey key = PolicyKey.port(0x01020304, TrafficDirection.EGRESS, new PolicyPeer.Identity(4242), PolicyKey.TCP, 8080);
        byte[] bytes = MapLayouts.policyKey(key);
        assertEquals(40, bytes.length);
        ByteBuffer b = le(bytes);
        assertEquals(256 + 16, b.getInt(0), "prefix covers the fixed part and all 16 port bits");
        assertEquals(0x01020304, b.getInt(4));
        assertEquals(1, bytes[8], "egress");
        assertEquals(MapLayouts.PEER_IDENTITY, bytes[9]);
        assertEquals(6, bytes[10]);
        assertEquals(0, bytes[11]);
        assertEquals(4242, b.getInt(12));
        assertEquals(0x1f, bytes[36], "port is big-endian: 8080 = 0x1f90");
        assertEquals((byte) 0x90, bytes[37]);
        assertEquals(key, MapLayouts.decodePolicyKey(bytes));
    }

    @Test
    void policyKeyOfACidrAndOfEveryProtocol() throws Exception {
        PolicyKey cidr = new PolicyKey(7, TrafficDirection.INGRESS, new PolicyPeer.Cidr(IpPrefix.parse("10.1.0.0/16")),
                PolicyKey.UDP, 80, 12);
        byte[] bytes = MapLayouts.policyKey(cidr);
        assertEquals(256 + 12, le(bytes).getInt(0));
        assertEquals(MapLayouts.PEER_CIDR, bytes[9]);
        assertEquals(16, bytes[11], "the CIDR's length");
        assertEquals(4, bytes[16], "the CIDR's family");
        assertArrayEquals(ip("10.1.0.0").getAddress(), java.util.Arrays.copyOfRange(bytes, 20, 24));
        assertEquals(cidr, MapLayouts.decodePolicyKey(bytes));

        PolicyKey any = PolicyKey.anyProtocol(7, TrafficDirection.INGRESS, PolicyPeer.ANY);
        byte[] anyBytes = MapLayouts.policyKey(any);
        assertEquals(256, le(anyBytes).getInt(0), "every protocol: the prefix ends before the port");
        assertEquals(0, anyBytes[10]);
        assertEquals(any, MapLayouts.decodePolicyKey(anyBytes));

        PolicyKey v6 = PolicyKey.anyProtocol(9, TrafficDirection.EGRESS, new PolicyPeer.Cidr(IpPrefix.parse("2001:db8::/32")));
        assertEquals(v6, MapLayouts.decodePolicyKey(MapLayouts.policyKey(v6)));
    }

    @Test
    void ipcacheAndCidrKeysSeparateTheFamilies() throws Exception {
        byte[] v4 = MapLayouts.ipcacheKey(IpPrefix.parse("10.1.2.3"));
        assertEquals(24, v4.length);
        assertEquals(32 + 32, le(v4).getInt(0));
        assertEquals(4, v4[4]);
        assertArrayEquals(ip("10.1.2.3").getAddress(), java.util.Arrays.copyOfRange(v4, 8, 12));
        assertEquals(IpPrefix.parse("10.1.2.3/32"), MapLayouts.decodeIpcacheKey(v4));

        byte[] v6 = MapLayouts.ipcacheKey(IpPrefix.parse("::/0"));
        assertEquals(32, le(v6).getInt(0), "::/0 still matches the family byte, so never an IPv4 address");
        assertEquals(6, v6[4]);

        byte[] cidr = MapLayouts.policyCidrKey(5, TrafficDirection.EGRESS, IpPrefix.parse("192.0.2.0/24"));
        assertEquals(28, cidr.length);
        assertEquals(64 + 24, le(cidr).getInt(0));
        assertEquals(5, le(cidr).getInt(4));
        assertEquals(1, cidr[8]);
        assertEquals(4, cidr[9]);
        assertEquals(24, le(MapLayouts.policyCidrValue(IpPrefix.parse("192.0.2.0/24"))).getInt(0));
    }

    @Test
    void endpointInfoRoundTrips() throws Exception {
        EndpointInfo dual = new EndpointInfo(3, 300, true, false, (Inet4Address) ip("10.1.0.3"), (Inet6Address) ip("fd01::3"));
        byte[] bytes = MapLayouts.endpointInfo(dual);
        assertEquals(32, bytes.length);
        assertEquals(MapLayouts.ENDPOINT_INGRESS_ISOLATED, le(bytes).getInt(8));
        assertEquals(dual, MapLayouts.decodeEndpointInfo(bytes));
        EndpointInfo v4only = new EndpointInfo(4, 400, false, true, (Inet4Address) ip("10.1.0.4"), null);
        assertEquals(v4only, MapLayouts.decodeEndpointInfo(MapLayouts.endpointInfo(v4only)));
        assertThrows(IllegalArgumentException.class, () -> new EndpointInfo(0, 1, false, false, null, null));
    }

    @Test
    void conntrackEntriesAreReportedInTheDirectionTheyWereOpened() throws Exception {
        ByteBuffer key = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
        key.put(java.util.Arrays.copyOf(ip("10.0.0.1").getAddress(), 16));
        key.put(java.util.Arrays.copyOf(ip("10.0.0.2").getAddress(), 16));
        key.putShort((short) 80).putShort((short) 40000).putInt(12).put((byte) 4).put((byte) 6);
        ByteBuffer value = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        value.putLong(1).putLong(2).putLong(3).putInt(MapLayouts.CT_INITIATOR_B | MapLayouts.CT_SEEN_REPLY).put((byte) 0);
        ConntrackEntry entry = MapLayouts.decodeConntrack(key.array(), value.array());
        assertEquals(ip("10.0.0.2"), entry.source(), "side b opened it");
        assertEquals(40000, entry.sourcePort());
        assertEquals(ip("10.0.0.1"), entry.destination());
        assertEquals(80, entry.destinationPort());
        assertEquals(TrafficDirection.INGRESS, entry.direction());
        assertTrue(entry.seenReply());
        assertFalse(entry.closing());
        assertEquals(12, entry.endpointId());
    }

    @Test
    void portRangesBecomeExactlyCoveringPrefixes() {
        assertEquals(List.of(new PolicyKey(1, TrafficDirection.INGRESS, PolicyPeer.ANY, 6, 80, 12)),
                PolicyKey.portRange(1, TrafficDirection.INGRESS, PolicyPeer.ANY, 6, 80, 95));
        assertEquals(List.of(new PolicyKey(1, TrafficDirection.INGRESS, PolicyPeer.ANY, 6, 0, 0)),
                PolicyKey.portRange(1, TrafficDirection.INGRESS, PolicyPeer.ANY, 6, 0, 65535));
        Random random = new Random(42);
        for (int round = 0; round < 500; round++) {
            int first = random.nextInt(65536);
            int last = first + random.nextInt(65536 - first);
            List<PolicyKey> keys = PolicyKey.portRange(1, TrafficDirection.EGRESS, PolicyPeer.ANY, 17, first, last);
            int expectedNext = first;
            for (PolicyKey key : keys) {
                assertEquals(expectedNext, key.firstPort(), "contiguous and in order for " + first + "-" + last);
                expectedNext = key.lastPort() + 1;
            }
            assertEquals(last + 1, expectedNext, "ends exactly at " + last);
            assertTrue(keys.size() <= 30, "at most 2 per bit: " + keys.size());
        }
    }

    @Test
    void keysRefuseWhatTheProgramsCouldNotMatch() {
        assertThrows(IllegalArgumentException.class,
                () -> new PolicyKey(1, TrafficDirection.INGRESS, PolicyPeer.ANY, 0, 80, 16), "every protocol with a port");
        assertThrows(IllegalArgumentException.class,
                () -> new PolicyKey(1, TrafficDirection.INGRESS, PolicyPeer.ANY, 6, 81, 12), "bits below the prefix");
        assertThrows(IllegalArgumentException.class,
                () -> new PolicyKey(0, TrafficDirection.INGRESS, PolicyPeer.ANY, 6, 80, 16), "endpoint 0");
        assertThrows(IllegalArgumentException.class, () -> new PolicyPeer.Identity(0));
        assertEquals(IpPrefix.parse("10.1.0.0/16"), IpPrefix.parse("10.1.2.3/16"), "host bits are cleared");
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("10.0.0.0/33"));
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("example.com/8"), "never resolves names");
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("10.0.0.0/"));
    }
}
