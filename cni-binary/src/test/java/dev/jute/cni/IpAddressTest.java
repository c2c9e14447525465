package dev.jute.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IpAddressTest {

    @ParameterizedTest
    @CsvSource({
            "10.244.1.7, 10.244.1.7",
            "0.0.0.0, 0.0.0.0",
            "255.255.255.255, 255.255.255.255",
            "::, ::",
            "::1, ::1",
            "1::, 1::",
            "2001:DB8::1, 2001:db8::1",
            "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
            "fd00:0:0:1::, fd00:0:0:1::",
            "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
            "::ffff:10.0.0.1, ::ffff:10.0.0.1",
            "::ffff:a00:1, ::ffff:10.0.0.1",
            "64:ff9b::192.0.2.33, 64:ff9b::c000:221",
            "1:2:3:4:5:6:1.2.3.4, 1:2:3:4:5:6:102:304",
    })
    void parsesAndFormatsCanonically(String in, String canonical) throws Exception {
        IpAddress a = IpAddress.parse(in);
        assertEquals(canonical, a.toString());
        assertEquals(InetAddress.getByName(in), a.toInetAddress(), "agrees with the JDK");
        assertEquals(a, IpAddress.parse(canonical));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1..2.3", "1.2.3.4 ",
            "a.b.c.d", ":", ":::", "1:::2", "1::2::3", ":1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::",
            "fe80::1%eth0", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "g::1", "1:", "[::1]", "1.2.3.4/24"})
    void rejectsInvalid(String in) {
        assertThrows(IllegalArgumentException.class, () -> IpAddress.parse(in));
    }

    @Test
    void prefixes() {
        IpPrefix p = IpPrefix.parse("10.244.1.7/24");
        assertEquals("10.244.1.7/24", p.toString());
        assertEquals("10.244.1.0/24", p.network().toString());
        assertTrue(p.contains(IpAddress.parse("10.244.1.200")));
        assertFalse(p.contains(IpAddress.parse("10.244.2.1")));
        assertFalse(p.contains(IpAddress.parse("::1")));
        assertEquals("fd00:1::/64", IpPrefix.parse("fd00:1::5/64").network().toString());
        assertEquals("0.0.0.0/0", IpPrefix.parse("0.0.0.0/0").toString());
        assertEquals(128, IpPrefix.parse("::1/128").length());
        for (String bad : new String[] {"10.0.0.1", "10.0.0.1/33", "10.0.0.1/", "10.0.0.1/08", "::/129", "x/1",
                "10.0.0.1/-1", "10.0.0.1/2 4"}) {
            assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(bad), bad);
        }
    }
}
