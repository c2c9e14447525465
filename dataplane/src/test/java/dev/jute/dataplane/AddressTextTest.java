package dev.jute.dataplane;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AddressTextTest {

    private static String text(String literal) throws Exception {
        return AddressText.of(InetAddress.getByName(literal));
    }

    @Test
    void ipv6IsWrittenInCanonicalForm() throws Exception {
        assertEquals("fd00::1", text("fd00:0:0:0:0:0:0:1"));
        assertEquals("::", text("0:0:0:0:0:0:0:0"));
        assertEquals("::1", text("::1"));
        assertEquals("fe80::ecee:eeff:feee:eeee", text("FE80::ECEE:EEFF:FEEE:EEEE"));
        assertEquals("2001:db8::1:0:0:1", text("2001:db8:0:0:1:0:0:1"), "first of two equal runs");
        assertEquals("2001:db8:0:1:1:1:1:1", text("2001:db8:0:1:1:1:1:1"), "a single zero group stays");
        assertEquals("2001:db8::", text("2001:db8::"));
        assertEquals("1:0:0:2::3", text("1:0:0:2:0:0:0:3"), "the longest run wins");
    }

    @Test
    void ipv4IsDottedQuad() throws Exception {
        assertEquals("10.0.0.1", text("10.0.0.1"));
    }
}
