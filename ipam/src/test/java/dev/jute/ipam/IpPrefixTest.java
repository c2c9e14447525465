package dev.jute.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpPrefixTest {
    private static InetAddress ip(String text) {
        return IpAddresses.parse(text);
    }

    @Test
    void ipv4Slash24() {
        IpPrefix prefix = IpPrefix.parse("10.244.1.0/24");
        assertEquals(IpFamily.IPV4, prefix.family());
        assertEquals(24, prefix.length());
        assertEquals(ip("10.244.1.0"), prefix.network());
        assertEquals(Optional.of(ip("10.244.1.255")), prefix.broadcast());
        assertEquals(ip("10.244.1.255"), prefix.lastAddress());
        assertEquals(BigInteger.valueOf(256), prefix.size());
        assertEquals(ip("10.244.1.5"), prefix.address(5));
        assertEquals(BigInteger.valueOf(5), prefix.offsetOf(ip("10.244.1.5")));
        assertTrue(prefix.contains(ip("10.244.1.0")));
        assertTrue(prefix.contains(ip("10.244.1.255")));
        assertFalse(prefix.contains(ip("10.244.2.0")));
        assertFalse(prefix.contains(ip("10.244.0.255")));
        assertFalse(prefix.contains(ip("::a0f4:100")), "an IPv6 address is never inside an IPv4 prefix");
        assertEquals(BigInteger.ONE, prefix.firstHostOffset());
        assertEquals(BigInteger.valueOf(254), prefix.lastHostOffset());
        assertEquals("10.244.1.0/24", prefix.toString());
    }

    @Test
    void ipv4Slash32HasOneAddressAndNoBroadcast() {
        IpPrefix prefix = IpPrefix.parse("192.168.7.9/32");
        assertEquals(BigInteger.ONE, prefix.size());
        assertEquals(Optional.empty(), prefix.broadcast());
        assertEquals(ip("192.168.7.9"), prefix.network());
        assertEquals(ip("192.168.7.9"), prefix.lastAddress());
        assertEquals(BigInteger.ZERO, prefix.firstHostOffset());
        assertEquals(BigInteger.ZERO, prefix.lastHostOffset());
        assertThrows(IllegalArgumentException.class, () -> prefix.address(1));
    }

    @Test
    void ipv4Slash31IsPointToPointWithBothAddressesUsable() {
        IpPrefix prefix = IpPrefix.parse("10.0.0.2/31");
        assertEquals(BigInteger.TWO, prefix.size());
        assertEquals(Optional.empty(), prefix.broadcast(), "RFC 3021: no broadcast on /31");
        assertEquals(BigInteger.ZERO, prefix.firstHostOffset());
        assertEquals(BigInteger.ONE, prefix.lastHostOffset());
        assertEquals(ip("10.0.0.3"), prefix.address(1));
    }

    @Test
    void ipv4Slash30() {
        IpPrefix prefix = IpPrefix.parse("10.0.0.4/30");
        assertEquals(Optional.of(ip("10.0.0.7")), prefix.broadcast());
        assertEquals(BigInteger.ONE, prefix.firstHostOffset());
        assertEquals(BigInteger.TWO, prefix.lastHostOffset());
    }

    @Test
    void ipv4Slash0() {
        IpPrefix prefix = IpPrefix.parse("0.0.0.0/0");
        assertEquals(BigInteger.ONE.shiftLeft(32), prefix.size());
        assertEquals(ip("255.255.255.255"), prefix.lastAddress());
        assertTrue(prefix.contains(ip("203.0.113.7")));
    }

    @Test
    void ipv6Slash64() {
        IpPrefix prefix = IpPrefix.parse("fd00:10:244:1::/64");
        assertEquals(IpFamily.IPV6, prefix.family());
        assertEquals(BigInteger.ONE.shiftLeft(64), prefix.size());
        assertEquals(Optional.empty(), prefix.broadcast());
        assertEquals(ip("fd00:10:244:1:ffff:ffff:ffff:ffff"), prefix.lastAddress());
        BigInteger last = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
        assertEquals(ip("fd00:10:244:1:ffff:ffff:ffff:ffff"), prefix.address(last));
        assertEquals(last, prefix.offsetOf(ip("fd00:10:244:1:ffff:ffff:ffff:ffff")));
        assertEquals(BigInteger.valueOf(0x1234), prefix.offsetOf(ip("fd00:10:244:1::1234")));
        assertEquals(last, prefix.lastHostOffset(), "IPv6 has no broadcast: the last address is a host address");
        assertThrows(IllegalArgumentException.class, () -> prefix.address(BigInteger.ONE.shiftLeft(64)));
        assertThrows(IllegalArgumentException.class, () -> prefix.address(-1));
        assertThrows(IllegalArgumentException.class, () -> prefix.offsetOf(ip("fd00:10:244:2::1")));
        assertFalse(prefix.contains(ip("10.0.0.1")));
    }

    @Test
    void ipv6Slash128AndSlash127() {
        IpPrefix host = IpPrefix.parse("2001:db8::7/128");
        assertEquals(BigInteger.ONE, host.size());
        assertEquals(ip("2001:db8::7"), host.network());
        assertEquals(BigInteger.ZERO, host.firstHostOffset());
        IpPrefix pointToPoint = IpPrefix.parse("2001:db8::6/127");
        assertEquals(BigInteger.ZERO, pointToPoint.firstHostOffset(), "RFC 6164: both addresses usable");
        assertEquals(BigInteger.ONE, pointToPoint.lastHostOffset());
    }

    @Test
    void toStringIsCanonical() {
        assertEquals("fd00:10:244:1::/64", IpPrefix.parse("FD00:0010:0244:0001:0000:0000:0000:0000/64").toString());
        assertEquals("::/0", IpPrefix.parse("0:0:0:0:0:0:0:0/0").toString());
        assertEquals("2001:db8:0:1::/64", IpPrefix.parse("2001:db8:0:1::/64").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/024",
            "10.0.0.0/2a", "10.0.0/24", "10.0.0.256/24", "010.0.0.0/24", "10.0.0.0/24 ", " 10.0.0.0/24",
            "example.com/24", "fd00::/129", "fe80::%eth0/64", "[fd00::]/64", "::ffff:10.0.0.0/120",
            "fd00:::/64", "10.0.0.0/24/24", "10..0.0/24", "1.2.3.4.5/32"})
    void rejectsInvalidInput(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(text));
        assertTrue(e.getMessage().length() > 10, "message explains the problem: " + e.getMessage());
    }

    @Test
    void rejectsNull() {
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(null));
    }

    @Test
    void hostBitsAreRejectedWithAHint() {
        IllegalArgumentException v4 = assertThrows(IllegalArgumentException.class,
                () -> IpPrefix.parse("10.244.1.5/24"));
        assertTrue(v4.getMessage().contains("host bits"), v4.getMessage());
        assertTrue(v4.getMessage().contains("10.244.1.0/24"), v4.getMessage());
        IllegalArgumentException v6 = assertThrows(IllegalArgumentException.class,
                () -> IpPrefix.parse("fd00::1/64"));
        assertTrue(v6.getMessage().contains("fd00::/64"), v6.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.of(ip("10.0.0.1"), 31));
    }

    @Test
    void containingMasksHostBits() {
        assertEquals(IpPrefix.parse("10.244.1.0/24"), IpPrefix.containing(ip("10.244.1.77"), 24));
        assertEquals(IpPrefix.parse("10.244.1.77/32"), IpPrefix.containing(ip("10.244.1.77"), 32));
        assertEquals(IpPrefix.parse("fd00:10::/32"), IpPrefix.containing(ip("fd00:10:244:1::9"), 32));
    }

    @Test
    void equalityAndOrdering() {
        assertEquals(IpPrefix.parse("10.0.0.0/8"), IpPrefix.parse("10.0.0.0/8"));
        assertEquals(IpPrefix.parse("10.0.0.0/8").hashCode(), IpPrefix.parse("10.0.0.0/8").hashCode());
        assertNotEquals(IpPrefix.parse("10.0.0.0/8"), IpPrefix.parse("10.0.0.0/9"));
        assertNotEquals(IpPrefix.parse("0.0.0.0/0"), IpPrefix.parse("::/0"));
        assertTrue(IpPrefix.parse("10.0.0.0/8").compareTo(IpPrefix.parse("fd00::/8")) < 0);
        assertTrue(IpPrefix.parse("10.0.0.0/8").compareTo(IpPrefix.parse("11.0.0.0/8")) < 0);
        assertTrue(IpPrefix.parse("10.0.0.0/8").compareTo(IpPrefix.parse("10.0.0.0/9")) < 0);
    }

    @Test
    void prefixContainsPrefix() {
        IpPrefix wide = IpPrefix.parse("10.244.0.0/16");
        assertTrue(wide.contains(IpPrefix.parse("10.244.1.0/24")));
        assertTrue(wide.contains(wide));
        assertFalse(IpPrefix.parse("10.244.1.0/24").contains(wide));
        assertFalse(wide.contains(IpPrefix.parse("10.245.0.0/24")));
        assertFalse(IpPrefix.parse("::/0").contains(wide));
    }
}
