package dev.jute.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {
    @ParameterizedTest
    @CsvSource({
            "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
            "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "0:0:0:0:0:0:0:0, ::",
            "0:0:0:0:0:0:0:1, ::1",
            "1:0:0:0:0:0:0:0, 1::",
            "FD00:10:244:1:0:0:0:A, fd00:10:244:1::a",
            "fd00:0:0:0:1:0:0:0, fd00::1:0:0:0",
            "10.244.1.5, 10.244.1.5",
            "0.0.0.0, 0.0.0.0",
            "255.255.255.255, 255.255.255.255",
    })
    void formatsCanonically(String input, String canonical) {
        assertEquals(canonical, IpAddresses.format(IpAddresses.parse(input)));
        assertEquals(canonical, IpAddresses.format(IpAddresses.parse(canonical)), "canonical text is a fixed point");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.1", "10.0.0", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "1.2.3.4 ",
            "localhost", "a.b.c.d", "fe80::1%eth0", "[::1]", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8:9", "12345::",
            "1::2::3", "::g"})
    void rejects(String text) {
        assertThrows(IllegalArgumentException.class, () -> IpAddresses.parse(text));
    }

    @Test
    void integerConversionKeepsTheFamily() {
        assertInstanceOf(Inet4Address.class, IpAddresses.fromBigInteger(IpFamily.IPV4, BigInteger.valueOf(0x0a000001)));
        // ::ffff:a00:1 is an IPv4-mapped value; in an IPv6 pool it must stay an IPv6 address.
        BigInteger mapped = new BigInteger("ffff0a000001", 16);
        assertInstanceOf(Inet6Address.class, IpAddresses.fromBigInteger(IpFamily.IPV6, mapped));
        assertEquals(mapped, IpAddresses.toBigInteger(IpAddresses.fromBigInteger(IpFamily.IPV6, mapped)));
        assertThrows(IllegalArgumentException.class,
                () -> IpAddresses.fromBigInteger(IpFamily.IPV4, BigInteger.ONE.shiftLeft(32)));
    }

    @Test
    void addressRangesParse() {
        assertEquals(new AddressRange(IpAddresses.parse("10.0.0.16"), IpAddresses.parse("10.0.0.31")),
                AddressRange.parse("10.0.0.16/28"));
        assertEquals(new AddressRange(IpAddresses.parse("10.0.0.5"), IpAddresses.parse("10.0.0.9")),
                AddressRange.parse("10.0.0.5 - 10.0.0.9"));
        assertEquals(AddressRange.of(IpAddresses.parse("fd00::5")), AddressRange.parse("fd00::5"));
        assertEquals("10.0.0.5-10.0.0.9", AddressRange.parse("10.0.0.5-10.0.0.9").toString());
        assertThrows(IllegalArgumentException.class, () -> AddressRange.parse("10.0.0.9-10.0.0.5"));
        assertThrows(IllegalArgumentException.class, () -> AddressRange.parse("10.0.0.1-fd00::1"));
        assertThrows(IllegalArgumentException.class, () -> AddressRange.parse("10.0.0.1/24"));
        assertThrows(IllegalArgumentException.class, () -> AddressRange.parse("nonsense"));
    }
}
