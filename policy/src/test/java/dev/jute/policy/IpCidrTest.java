package dev.jute.policy;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpCidrTest {

    @Test
    void parsesAndNormalises() {
        assertEquals("10.0.0.0/8", IpCidr.parse("10.1.2.3/8").toString());
        assertEquals(IpCidr.parse("10.0.0.0/8"), IpCidr.parse("10.255.0.1/8"));
        assertEquals("fd00::/64", IpCidr.parse("fd00::1/64").toString());
        assertEquals("0.0.0.0/0", IpCidr.parse("1.2.3.4/0").toString());
        assertEquals("::/0", IpCidr.parse("fd00::1/0").toString());
        assertEquals("2001:db8::1:0:0:1", IpCidr.format(IpCidr.parseAddress("2001:db8:0:0:1:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1", IpCidr.format(IpCidr.parseAddress("2001:db8:0:1:1:1:1:1")));
        assertEquals("::1", IpCidr.format(IpCidr.parseAddress("0:0:0:0:0:0:0:1")));
        assertEquals("fe80::", IpCidr.format(IpCidr.parseAddress("fe80:0:0:0:0:0:0:0")));
        assertEquals(32, IpCidr.host(IpCidr.parseAddress("10.0.0.1")).prefixLength());
        assertEquals(128, IpCidr.host(IpCidr.parseAddress("::1")).prefixLength());
    }

    @Test
    void rejectsNonsense() {
        for (String bad : List.of("", "10.0.0.0", "10.0.0/8", "10.0.0.256/8", "10.0.0.0/33", "fd00::/129",
                "10.0.0.0/-1", "10.0.0.0/", "host.example/8", "010.0.0.0/8", "::g/64", "10.0.0.0/8/9")) {
            assertThrows(IllegalArgumentException.class, () -> IpCidr.parse(bad), bad);
        }
    }

    @Test
    void containment() {
        IpCidr ten = IpCidr.parse("10.0.0.0/8");
        assertTrue(ten.contains(IpCidr.parseAddress("10.200.1.1")));
        assertFalse(ten.contains(IpCidr.parseAddress("11.0.0.0")));
        assertFalse(ten.contains(IpCidr.parseAddress("::a00:1")), "families never mix");
        assertTrue(ten.contains(IpCidr.parse("10.1.0.0/16")));
        assertTrue(ten.contains(ten));
        assertFalse(IpCidr.parse("10.1.0.0/16").contains(ten));
        assertTrue(IpCidr.parse("0.0.0.0/0").contains(IpCidr.parseAddress("255.255.255.255")));
        assertTrue(IpCidr.parse("10.0.0.0/9").contains(IpCidr.parseAddress("10.127.0.0")));
        assertFalse(IpCidr.parse("10.0.0.0/9").contains(IpCidr.parseAddress("10.128.0.0")));
    }

    @Test
    void subtractGivesDisjointPrefixesCoveringExactlyTheDifference() {
        IpCidr block = IpCidr.parse("10.0.0.0/24");
        List<IpCidr> except = List.of(IpCidr.parse("10.0.0.16/28"), IpCidr.parse("10.0.0.200/32"));
        List<IpCidr> parts = block.subtract(except);
        for (int i = 0; i < 256; i++) {
            var address = IpCidr.parseAddress("10.0.0." + i);
            boolean expected = except.stream().noneMatch(e -> e.contains(address));
            long covering = parts.stream().filter(p -> p.contains(address)).count();
            assertEquals(expected ? 1 : 0, covering, "10.0.0." + i);
        }
        assertEquals(List.of(), block.subtract(List.of(IpCidr.parse("10.0.0.0/16"))));
        assertEquals(List.of(block), block.subtract(List.of(IpCidr.parse("10.0.1.0/24"))));
    }

    @Test
    void subtractOnRandomIpv6Blocks() {
        SplittableRandom random = new SplittableRandom(7);
        IpCidr block = IpCidr.parse("fd00::/120");
        for (int round = 0; round < 50; round++) {
            List<IpCidr> except = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                except.add(IpCidr.of(IpCidr.parseAddress("fd00::" + Integer.toHexString(random.nextInt(256))),
                        121 + random.nextInt(8)));
            }
            List<IpCidr> parts = block.subtract(except);
            for (int i = 0; i < 256; i++) {
                var address = IpCidr.parseAddress("fd00::" + Integer.toHexString(i));
                boolean expected = except.stream().noneMatch(e -> e.contains(address));
                assertEquals(expected ? 1 : 0, parts.stream().filter(p -> p.contains(address)).count());
            }
        }
    }
}
