package dev.jute.dataplane;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Validation of the value types: bad input is refused with a clear message. */
class ValueTypesTest {

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void macAddressParsesFormatsAndCompares() {
        MacAddress mac = MacAddress.parse("EE:ee:0A:00:00:01");
        assertEquals("ee:ee:0a:00:00:01", mac.toString());
        assertEquals(mac, MacAddress.of(new byte[]{(byte) 0xee, (byte) 0xee, 10, 0, 0, 1}));
        assertEquals(mac.hashCode(), MacAddress.parse("ee:ee:0a:00:00:01").hashCode());
        byte[] bytes = mac.bytes();
        bytes[0] = 0;
        assertEquals("ee:ee:0a:00:00:01", mac.toString(), "defensive copy");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("ee-ee"));
        assertTrue(e.getMessage().contains("ee-ee"));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(""));
    }

    @Test
    void interfaceNamesFollowTheKernelRules() {
        assertEquals("eth0.100", InterfaceNames.requireValid("eth0.100"));
        assertEquals("123456789012345", InterfaceNames.requireValid("123456789012345"));
        for (String bad : new String[]{"", "1234567890123456", ".", "..", "a/b", "a:b", "a b"}) {
            assertThrows(IllegalArgumentException.class, () -> InterfaceNames.requireValid(bad), bad);
        }
    }

    @Test
    void routesRefuseHostBitsAndMixedFamilies() throws Exception {
        IllegalArgumentException hostBits = assertThrows(IllegalArgumentException.class, () -> Route.to(ip("10.0.0.1"), 24));
        assertTrue(hostBits.getMessage().contains("host bits"), hostBits.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Route.to(ip("10.0.0.0"), 33));
        assertThrows(IllegalArgumentException.class, () -> Route.to(ip("10.0.0.0"), 8).via(ip("fe80::1")));
        assertThrows(IllegalArgumentException.class, () -> Route.to(ip("10.0.0.0"), 8).withProtocol(256));
        assertThrows(IllegalArgumentException.class, () -> Route.defaultRoute(LibC.AF_NETLINK));
        assertEquals("default via 169.254.1.1 dev #3 table 254 proto 74 scope 0",
                Route.defaultRoute(LibC.AF_INET).via(ip("169.254.1.1")).device(3).withProtocol(RouteProtocol.JUTE).toString());
    }

    @Test
    void addressesRefuseBadPrefixLengthsAndIndexes() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new Address(1, ip("10.0.0.1"), 33, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Address(0, ip("10.0.0.1"), 32, 0, 0));
        assertEquals(LibC.AF_INET6, new Address(1, ip("fd00::1"), 128, 0, Address.NODAD).family());
    }

    @Test
    void hostInterfaceNameIsJutePlusElevenHexDigitsOfSha256() {
        // printf 'abc123/eth0' | sha256sum  ->  b52a0cba51239b7f...
        assertEquals("juteb52a0cba512", PtpPodWiring.hostInterfaceName("abc123", "eth0"));
        assertEquals(InterfaceNames.MAX_LENGTH, PtpPodWiring.hostInterfaceName("x", "net1").length());
        assertNotEquals(PtpPodWiring.hostInterfaceName("abc123", "eth0"), PtpPodWiring.hostInterfaceName("abc123", "net1"));
        assertThrows(IllegalArgumentException.class, () -> PtpPodWiring.hostInterfaceName("", "eth0"));
    }

    @Test
    void podWiringSpecValidation() throws Exception {
        Path netns = Path.of("/var/run/netns/x");
        PodWiringSpec dualStack = new PodWiringSpec(netns, "jute0", "eth0", 1500, List.of(ip("10.0.0.1"), ip("fd00::1")));
        assertTrue(dualStack.hasIpv4());
        assertTrue(dualStack.hasIpv6());
        assertThrows(IllegalArgumentException.class, () -> new PodWiringSpec(netns, "jute0", "eth0", 1500, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new PodWiringSpec(netns, "jute0", "eth0", 1500, List.of(ip("10.0.0.1"), ip("10.0.0.1"))));
        assertThrows(IllegalArgumentException.class, () -> new PodWiringSpec(netns, "jute0", "eth0", 1500, List.of(ip("127.0.0.1"))));
        assertThrows(IllegalArgumentException.class, () -> new PodWiringSpec(netns, "jute0", "eth0", 1500, List.of(ip("fe80::1"))));
        assertThrows(IllegalArgumentException.class, () -> new PodWiringSpec(netns, "jute0", "eth0", 1000, List.of(ip("fd00::1"))));
        assertDoesNotThrow(() -> new PodWiringSpec(netns, "jute0", "eth0", 1000, List.of(ip("10.0.0.1"))));
        assertThrows(IllegalArgumentException.class,
                () -> new PodWiringSpec(netns, "this-name-is-too-long", "eth0", 1500, List.of(ip("10.0.0.1"))));
    }
}
