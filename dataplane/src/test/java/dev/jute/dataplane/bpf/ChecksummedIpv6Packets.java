package dev.jute.dataplane.bpf;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;

import static dev.jute.dataplane.bpf.ChecksummedPackets.get16;
import static dev.jute.dataplane.bpf.ChecksummedPackets.get32;
import static dev.jute.dataplane.bpf.ChecksummedPackets.put16;
import static dev.jute.dataplane.bpf.ChecksummedPackets.sum16;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The IPv6 half of {@link ChecksummedPackets}: frames (Ethernet + fixed 40-byte IPv6 header, no
 * extension headers) whose TCP, UDP and ICMPv6 checksums are right over the IPv6 pseudo header
 * (RFC 8200 section 8.1), a parser for what the programs return, and a check that recomputes
 * every checksum from scratch, independently of the programs' incremental updates.
 */
final class ChecksummedIpv6Packets {

    static final int TCP = ChecksummedPackets.TCP;
    static final int UDP = ChecksummedPackets.UDP;
    static final int ICMPV6 = 58;
    static final int ETHERNET = 14;
    static final int HEADER = 40;

    private ChecksummedIpv6Packets() {
    }

    /** The one's-complement sum of the pseudo header: source, destination, upper-layer length, next header. */
    static int pseudoSum(byte[] ip, int protocol, int length) {
        byte[] pseudo = new byte[40];
        System.arraycopy(ip, 8, pseudo, 0, 32);
        pseudo[32] = (byte) (length >>> 24);
        pseudo[33] = (byte) (length >>> 16);
        pseudo[34] = (byte) (length >>> 8);
        pseudo[35] = (byte) length;
        pseudo[39] = (byte) protocol;
        return sum16(pseudo, 0, 40, 0);
    }

    /** An Ethernet + IPv6 frame around {@code l4}, with the transport checksum filled in. */
    static byte[] ipv6Frame(String source, String destination, int protocol, byte[] l4) {
        byte[] ip = TestPackets.ipv6(source, destination, protocol, l4);
        int checksumField = switch (protocol) {
            case TCP -> 16;
            case UDP -> 6;
            case ICMPV6 -> 2;
            default -> throw new IllegalArgumentException("protocol " + protocol);
        };
        int checksum = ChecksummedPackets.checksum(ip, HEADER, l4.length, pseudoSum(ip, protocol, l4.length));
        // UDP over IPv6 must carry a checksum; a computed 0 is sent as 0xffff (RFC 8200 section 8.1).
        put16(ip, HEADER + checksumField, protocol == UDP && checksum == 0 ? 0xffff : checksum);
        return TestPackets.frame(ip);
    }

    /** A TCP segment without payload: seq 1000, and ack 5000 when it carries ACK. */
    static byte[] tcp(String source, int sourcePort, String destination, int destinationPort, int flags) {
        return ipv6Frame(source, destination, TCP, ChecksummedPackets.tcpSegment(sourcePort, destinationPort, flags, 1000,
                (flags & TestPackets.ACK) != 0 ? 5000 : 0, new byte[0]));
    }

    static byte[] udp(String source, int sourcePort, String destination, int destinationPort, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short) sourcePort).putShort((short) destinationPort).putShort((short) (8 + payload.length))
                .putShort((short) 0).put(payload);
        return ipv6Frame(source, destination, UDP, b.array());
    }

    /** The parsed IPv6 frame the programs returned (fixed header only). */
    record Ipv6(byte[] frame) {
        private static final int L4 = ETHERNET + HEADER;

        int nextHeader() {
            return frame[ETHERNET + 6] & 0xff;
        }

        InetAddress source() {
            return address(ETHERNET + 8);
        }

        InetAddress destination() {
            return address(ETHERNET + 24);
        }

        int sourcePort() {
            return get16(frame, L4);
        }

        int destinationPort() {
            return get16(frame, L4 + 2);
        }

        int tcpFlags() {
            return frame[L4 + 13] & 0xff;
        }

        long tcpSeq() {
            return get32(frame, L4 + 4);
        }

        long tcpAck() {
            return get32(frame, L4 + 8);
        }

        private InetAddress address(int offset) {
            try {
                return Inet6Address.getByAddress(Arrays.copyOfRange(frame, offset, offset + 16));
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e);
            }
        }

        /** "[address]:port" of the source or the destination, the address in canonical text. */
        String endpointText(boolean source) {
            return "[" + (source ? source() : destination()).getHostAddress() + "]:" + (source ? sourcePort() : destinationPort());
        }
    }

    /** "[address]:port" for comparing with {@link Ipv6#endpointText(boolean)}. */
    static String at(String address, int port) {
        return "[" + TestPackets.ip(address).getHostAddress() + "]:" + port;
    }

    /**
     * Asserts the checksums of an IPv6 frame, recomputed from scratch: the payload length matches
     * the frame, and the TCP / UDP / ICMPv6 checksum over the whole segment and the pseudo header
     * holds. A UDP checksum of zero is an error over IPv6 (receivers drop it).
     */
    static void assertChecksums(byte[] frame) {
        assertEquals(0x86dd, get16(frame, 12), "an IPv6 frame");
        byte[] ip = Arrays.copyOfRange(frame, ETHERNET, frame.length);
        assertEquals(6, (ip[0] >> 4) & 0xf, "IP version");
        int length = get16(ip, 4);
        assertEquals(ip.length - HEADER, length, "IPv6 payload length matches the frame");
        int protocol = ip[6] & 0xff;
        switch (protocol) {
            case TCP -> assertEquals(0xffff, sum16(ip, HEADER, length, pseudoSum(ip, TCP, length)), "TCP checksum");
            case UDP -> {
                assertNotEquals(0, get16(ip, HEADER + 6), "UDP over IPv6 carries a checksum");
                assertEquals(0xffff, sum16(ip, HEADER, length, pseudoSum(ip, UDP, length)), "UDP checksum");
            }
            case ICMPV6 -> assertEquals(0xffff, sum16(ip, HEADER, length, pseudoSum(ip, ICMPV6, length)), "ICMPv6 checksum");
            default -> throw new AssertionError("unexpected next header " + protocol);
        }
    }
}
