package dev.jute.dataplane.bpf;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Frames with every checksum right (IPv4 header, TCP/UDP/ICMP one's-complement sums, SCTP's
 * CRC32c), a parser for what the programs return, and checks that recompute each checksum
 * independently of the programs' incremental updates. IPv4 only, 20-byte IP headers.
 */
final class ChecksummedPackets {

    static final int TCP = 6;
    static final int UDP = 17;
    static final int SCTP = 132;
    static final int ICMP = 1;

    private ChecksummedPackets() {
    }

    static int sum16(byte[] data, int offset, int length, int initial) {
        long sum = initial;
        for (int i = 0; i < length; i += 2) {
            int high = data[offset + i] & 0xff;
            int low = i + 1 < length ? data[offset + i + 1] & 0xff : 0;
            sum += (high << 8) | low;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) sum;
    }

    static int checksum(byte[] data, int offset, int length, int initial) {
        return ~sum16(data, offset, length, initial) & 0xffff;
    }

    private static int pseudoSum(byte[] ip, int protocol, int length) {
        byte[] pseudo = new byte[12];
        System.arraycopy(ip, 12, pseudo, 0, 8);
        pseudo[9] = (byte) protocol;
        pseudo[10] = (byte) (length >> 8);
        pseudo[11] = (byte) length;
        return sum16(pseudo, 0, 12, 0);
    }

    /** An Ethernet + IPv4 frame around {@code l4}, with the transport checksum filled in. */
    static byte[] ipv4Frame(String source, String destination, int protocol, byte[] l4) {
        byte[] ip = new byte[20 + l4.length];
        ByteBuffer b = ByteBuffer.wrap(ip);
        b.put((byte) 0x45).put((byte) 0).putShort((short) ip.length).putShort((short) 0x1234).putShort((short) 0x4000)
                .put((byte) 64).put((byte) protocol).putShort((short) 0);
        b.put(TestPackets.ip(source).getAddress()).put(TestPackets.ip(destination).getAddress()).put(l4);
        int ipChecksum = checksum(ip, 0, 20, 0);
        ip[10] = (byte) (ipChecksum >> 8);
        ip[11] = (byte) ipChecksum;
        fillTransportChecksum(ip, 20, protocol, l4.length);
        return TestPackets.frame(ip);
    }

    private static void fillTransportChecksum(byte[] ip, int l4, int protocol, int length) {
        switch (protocol) {
            case TCP -> put16(ip, l4 + 16, checksum(ip, l4, length, pseudoSum(ip, TCP, length)));
            case UDP -> {
                int c = checksum(ip, l4, length, pseudoSum(ip, UDP, length));
                put16(ip, l4 + 6, c == 0 ? 0xffff : c);
            }
            case ICMP -> put16(ip, l4 + 2, checksum(ip, l4, length, 0));
            case SCTP -> putCrc(ip, l4, length);
            default -> throw new IllegalArgumentException("protocol " + protocol);
        }
    }

    private static void putCrc(byte[] ip, int l4, int length) {
        Arrays.fill(ip, l4 + 8, l4 + 12, (byte) 0);
        long crc = crc32c(ip, l4, length);
        // Little-endian on the wire (RFC 9260 appendix A as Linux writes it).
        ip[l4 + 8] = (byte) crc;
        ip[l4 + 9] = (byte) (crc >> 8);
        ip[l4 + 10] = (byte) (crc >> 16);
        ip[l4 + 11] = (byte) (crc >> 24);
    }

    private static long crc32c(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        return crc.getValue();
    }

    static void put16(byte[] data, int offset, int value) {
        data[offset] = (byte) (value >> 8);
        data[offset + 1] = (byte) value;
    }

    static int get16(byte[] data, int offset) {
        return ((data[offset] & 0xff) << 8) | (data[offset + 1] & 0xff);
    }

    static long get32(byte[] data, int offset) {
        return ((long) get16(data, offset) << 16) | get16(data, offset + 2);
    }

    static byte[] tcpSegment(int sourcePort, int destinationPort, int flags, long seq, long ack, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.putShort((short) sourcePort).putShort((short) destinationPort).putInt((int) seq).putInt((int) ack);
        b.put((byte) 0x50).put((byte) flags).putShort((short) 64240).putShort((short) 0).putShort((short) 0).put(payload);
        return b.array();
    }

    static byte[] tcp(String source, int sourcePort, String destination, int destinationPort, int flags) {
        return ipv4Frame(source, destination, TCP, tcpSegment(sourcePort, destinationPort, flags, 1000,
                (flags & TestPackets.ACK) != 0 ? 5000 : 0, new byte[0]));
    }

    static byte[] udp(String source, int sourcePort, String destination, int destinationPort, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short) sourcePort).putShort((short) destinationPort).putShort((short) (8 + payload.length))
                .putShort((short) 0).put(payload);
        return ipv4Frame(source, destination, UDP, b.array());
    }

    static byte[] sctpInit(String source, int sourcePort, String destination, int destinationPort) {
        return ipv4Frame(source, destination, SCTP, TestPackets.sctpInit(sourcePort, destinationPort));
    }

    /** ICMP port unreachable from {@code router} to {@code destination} quoting the IP packet of {@code quotedFrame}. */
    static byte[] portUnreachable(String router, String destination, byte[] quotedFrame) {
        byte[] quotedIp = Arrays.copyOfRange(quotedFrame, 14, quotedFrame.length);
        ByteBuffer b = ByteBuffer.allocate(8 + quotedIp.length);
        b.put((byte) 3).put((byte) 3).putShort((short) 0).putInt(0).put(quotedIp);
        return ipv4Frame(router, destination, ICMP, b.array());
    }

    /** The parsed IPv4 frame the programs returned. */
    record Ipv4(byte[] frame) {
        int protocol() {
            return frame[23] & 0xff;
        }

        InetAddress source() {
            return address(26);
        }

        InetAddress destination() {
            return address(30);
        }

        int sourcePort() {
            return get16(frame, 34);
        }

        int destinationPort() {
            return get16(frame, 36);
        }

        int tcpFlags() {
            return frame[34 + 13] & 0xff;
        }

        long tcpSeq() {
            return get32(frame, 34 + 4);
        }

        long tcpAck() {
            return get32(frame, 34 + 8);
        }

        int icmpType() {
            return frame[34] & 0xff;
        }

        int icmpCode() {
            return frame[35] & 0xff;
        }

        /** The packet quoted in an ICMP error. */
        Ipv4 quoted() {
            byte[] inner = new byte[14 + frame.length - 42];
            System.arraycopy(frame, 0, inner, 0, 14);
            System.arraycopy(frame, 42, inner, 14, frame.length - 42);
            return new Ipv4(inner);
        }

        private InetAddress address(int offset) {
            try {
                return Inet4Address.getByAddress(Arrays.copyOfRange(frame, offset, offset + 4));
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e);
            }
        }

        String endpointText(boolean source) {
            return (source ? source() : destination()).getHostAddress() + ":" + (source ? sourcePort() : destinationPort());
        }
    }

    /**
     * Asserts every checksum of an IPv4 frame, recomputed from scratch: the IP header, the
     * transport checksum over the whole segment (SCTP: CRC32c), and for an ICMP error the quoted
     * IP header and, when fully quoted, the quoted transport checksum.
     */
    static void assertChecksums(byte[] frame) {
        byte[] ip = Arrays.copyOfRange(frame, 14, frame.length);
        int totalLength = get16(ip, 2);
        assertEquals(ip.length, totalLength, "IP total length matches the frame");
        assertEquals(0xffff, sum16(ip, 0, 20, 0), "IPv4 header checksum");
        int protocol = ip[9] & 0xff;
        int length = totalLength - 20;
        switch (protocol) {
            case TCP -> assertEquals(0xffff, sum16(ip, 20, length, pseudoSum(ip, TCP, length)), "TCP checksum");
            case UDP -> {
                if (get16(ip, 26) != 0) {
                    assertEquals(0xffff, sum16(ip, 20, length, pseudoSum(ip, UDP, length)), "UDP checksum");
                }
            }
            case SCTP -> {
                byte[] copy = ip.clone();
                long stored = (copy[28] & 0xffL) | (copy[29] & 0xffL) << 8 | (copy[30] & 0xffL) << 16 | (copy[31] & 0xffL) << 24;
                Arrays.fill(copy, 28, 32, (byte) 0);
                assertEquals(crc32c(copy, 20, length), stored, "SCTP CRC32c");
            }
            case ICMP -> {
                assertEquals(0xffff, sum16(ip, 20, length, 0), "ICMP checksum");
                int type = ip[20] & 0xff;
                if (type == 3 || type == 11) {
                    int inner = 28;
                    assertEquals(0xffff, sum16(ip, inner, 20, 0), "quoted IPv4 header checksum");
                    int innerProtocol = ip[inner + 9] & 0xff;
                    int innerLength = get16(ip, inner + 2) - 20;
                    if (ip.length - inner - 20 >= innerLength && (innerProtocol == TCP || innerProtocol == UDP)) {
                        byte[] quoted = Arrays.copyOfRange(ip, inner, ip.length);
                        assertEquals(0xffff, sum16(quoted, 20, innerLength, pseudoSum(quoted, innerProtocol, innerLength)),
                                "quoted transport checksum");
                    }
                }
            }
            default -> throw new AssertionError("unexpected protocol " + protocol);
        }
    }
}
