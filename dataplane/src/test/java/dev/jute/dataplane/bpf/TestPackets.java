package dev.jute.dataplane.bpf;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Crafted Ethernet frames for BPF_PROG_TEST_RUN. Checksums are filled where cheap (IPv4 header)
 * and left zero elsewhere: the programs never verify them.
 */
final class TestPackets {

    static final int TCP = 6;
    static final int UDP = 17;
    static final int SCTP = 132;
    static final int ICMP = 1;
    static final int ICMPV6 = 58;

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int ACK = 0x10;

    private static final byte[] POD_MAC = {0x02, 0, 0, 0, 0, 1};
    private static final byte[] HOST_MAC = {(byte) 0xee, (byte) 0xee, (byte) 0xee, (byte) 0xee, (byte) 0xee, (byte) 0xee};

    private TestPackets() {
    }

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    static byte[] ethernet(int etherType, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        b.put(HOST_MAC).put(POD_MAC).putShort((short) etherType).put(payload);
        return b.array();
    }

    /** An IP packet of the family of the addresses, wrapped in Ethernet. */
    static byte[] frame(byte[] ipPacket) {
        int version = (ipPacket[0] >> 4) & 0xf;
        return ethernet(version == 4 ? 0x0800 : 0x86dd, ipPacket);
    }

    static byte[] ipv4(String source, String destination, int protocol, int identification, int fragmentOffsetUnits,
                       boolean moreFragments, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length));
        b.putShort((short) identification);
        b.putShort((short) ((moreFragments ? 0x2000 : 0) | (fragmentOffsetUnits & 0x1fff)));
        b.put((byte) 64).put((byte) protocol).putShort((short) 0);
        b.put(ip(source).getAddress()).put(ip(destination).getAddress());
        byte[] packet = b.array();
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += ((packet[i] & 0xff) << 8) | (packet[i + 1] & 0xff);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        packet[10] = (byte) (~sum >> 8);
        packet[11] = (byte) ~sum;
        b.put(payload);
        return packet;
    }

    static byte[] ipv6(String source, String destination, int nextHeader, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x60000000).putShort((short) payload.length).put((byte) nextHeader).put((byte) 64);
        b.put(ip(source).getAddress()).put(ip(destination).getAddress()).put(payload);
        return b.array();
    }

    /** An IP packet (no fragmentation) of the family of {@code source}. */
    static byte[] ip(String source, String destination, int protocol, byte[] payload) {
        if (ip(source) instanceof Inet4Address) {
            return ipv4(source, destination, protocol, 1, 0, false, payload);
        }
        return ipv6(source, destination, protocol, payload);
    }

    static byte[] tcpHeader(int sourcePort, int destinationPort, int flags) {
        ByteBuffer b = ByteBuffer.allocate(20);
        b.putShort((short) sourcePort).putShort((short) destinationPort).putInt(1000).putInt((flags & ACK) != 0 ? 2000 : 0);
        b.put((byte) 0x50).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        return b.array();
    }

    static byte[] udpHeader(int sourcePort, int destinationPort, int payloadLength) {
        ByteBuffer b = ByteBuffer.allocate(8 + payloadLength);
        b.putShort((short) sourcePort).putShort((short) destinationPort).putShort((short) (8 + payloadLength)).putShort((short) 0);
        return b.array();
    }

    /** SCTP common header plus an INIT chunk. */
    static byte[] sctpInit(int sourcePort, int destinationPort) {
        ByteBuffer b = ByteBuffer.allocate(12 + 20);
        b.putShort((short) sourcePort).putShort((short) destinationPort).putInt(0).putInt(0);
        b.put((byte) 1).put((byte) 0).putShort((short) 20).putInt(0x12345678).putInt(65535).putShort((short) 10)
                .putShort((short) 10).putInt(1);
        return b.array();
    }

    static byte[] tcp(String source, int sourcePort, String destination, int destinationPort, int flags) {
        return frame(ip(source, destination, TCP, tcpHeader(sourcePort, destinationPort, flags)));
    }

    static byte[] udp(String source, int sourcePort, String destination, int destinationPort) {
        return frame(ip(source, destination, UDP, udpHeader(sourcePort, destinationPort, 16)));
    }

    static byte[] sctp(String source, int sourcePort, String destination, int destinationPort) {
        return frame(ip(source, destination, SCTP, sctpInit(sourcePort, destinationPort)));
    }

    private static boolean isV4(String address) {
        return ip(address) instanceof Inet4Address;
    }

    static byte[] icmpMessage(int type, int code, int identifier, int sequence, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(8 + body.length);
        b.put((byte) type).put((byte) code).putShort((short) 0).putShort((short) identifier).putShort((short) sequence).put(body);
        return b.array();
    }

    static byte[] echoRequest(String source, String destination, int identifier) {
        boolean v4 = isV4(source);
        return frame(ip(source, destination, v4 ? ICMP : ICMPV6, icmpMessage(v4 ? 8 : 128, 0, identifier, 1, new byte[32])));
    }

    static byte[] echoReply(String source, String destination, int identifier) {
        boolean v4 = isV4(source);
        return frame(ip(source, destination, v4 ? ICMP : ICMPV6, icmpMessage(v4 ? 0 : 129, 0, identifier, 1, new byte[32])));
    }

    /**
     * An ICMP destination unreachable (port unreachable) from {@code router} to {@code destination}
     * quoting {@code quotedIpPacket} (header plus the first bytes, as routers do).
     */
    static byte[] destinationUnreachable(String router, String destination, byte[] quotedIpPacket) {
        boolean v4 = isV4(router);
        int quoted = Math.min(quotedIpPacket.length, (v4 ? 20 : 40) + 8);
        byte[] body = java.util.Arrays.copyOf(quotedIpPacket, quoted);
        return frame(ip(router, destination, v4 ? ICMP : ICMPV6, icmpMessage(v4 ? 3 : 1, v4 ? 3 : 4, 0, 0, body)));
    }

    /** An IPv6 neighbour solicitation from a link-local address. */
    static byte[] neighbourSolicitation(String source, String target) {
        ByteBuffer body = ByteBuffer.allocate(16);
        body.put(ip(target).getAddress());
        byte[] message = icmpMessage(135, 0, 0, 0, body.array());
        return frame(ipv6(source, "ff02::1:ff00:1", ICMPV6, message));
    }

    /** An IPv6 packet with a fragment header (offset in 8-byte units). */
    static byte[] ipv6Fragment(String source, String destination, int protocol, int identification, int offsetUnits,
                               boolean moreFragments, byte[] payload) {
        ByteBuffer header = ByteBuffer.allocate(8 + payload.length);
        header.put((byte) protocol).put((byte) 0).putShort((short) ((offsetUnits << 3) | (moreFragments ? 1 : 0)))
                .putInt(identification).put(payload);
        return frame(ipv6(source, destination, 44, header.array()));
    }

    static byte[] arpRequest() {
        ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
        b.put(POD_MAC).put(ip("10.1.0.1").getAddress()).put(new byte[6]).put(ip("169.254.1.1").getAddress());
        return ethernet(0x0806, b.array());
    }

    static byte[] vlanTagged(byte[] frame) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(frame, 0, 12);
        out.write(0x81);
        out.write(0x00);
        out.write(0x00);
        out.write(0x05);
        out.write(frame, 12, frame.length - 12);
        return out.toByteArray();
    }
}
