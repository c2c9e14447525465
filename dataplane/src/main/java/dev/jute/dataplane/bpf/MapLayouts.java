package dev.jute.dataplane.bpf;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Byte layouts of the policy maps' keys and values, mirroring the C structs of
 * {@code src/main/bpf/lib/maps.h} byte for byte (offsets are repeated at each method). Integers
 * are little-endian (x86-64, arm64), addresses raw network-order bytes in a 16-byte field (IPv4 in
 * the first 4), padding zero. The port of a policy key is big-endian: LPM tries match key bytes
 * from the most significant bit, so a port prefix only works in network order.
 */
final class MapLayouts {

    static final int ENDPOINT_KEY_SIZE = 4;
    static final int ENDPOINT_INFO_SIZE = 32;
    static final int IPCACHE_KEY_SIZE = 24;
    static final int IPCACHE_VALUE_SIZE = 4;
    static final int POLICY_CIDR_KEY_SIZE = 28;
    static final int POLICY_CIDR_VALUE_SIZE = 4;
    static final int POLICY_KEY_SIZE = 40;
    static final int POLICY_VALUE_SIZE = 8;
    static final int CT_KEY_SIZE = 44;
    static final int CT_VALUE_SIZE = 32;
    static final int DROP_KEY_SIZE = 8;
    static final int DROP_VALUE_SIZE = 16;

    /** Bits of {@code struct policy_key} data before the port (32 bytes). */
    static final int POLICY_FIXED_BITS = 256;

    static final int PEER_ANY = 0;
    static final int PEER_IDENTITY = 1;
    static final int PEER_CIDR = 2;

    static final int ENDPOINT_INGRESS_ISOLATED = 1;
    static final int ENDPOINT_EGRESS_ISOLATED = 2;

    static final int CT_INITIATOR_B = 1;
    static final int CT_SEEN_REPLY = 2;
    static final int CT_CLOSING = 4;

    private MapLayouts() {
    }

    private static ByteBuffer buffer(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer wrap(byte[] bytes, int expectedSize, String what) {
        if (bytes.length != expectedSize) {
            throw new IllegalArgumentException(what + " is " + bytes.length + " bytes, expected " + expectedSize);
        }
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** 16 address bytes: IPv4 in the first 4. */
    private static void putAddress(ByteBuffer buffer, InetAddress address) {
        byte[] raw = address.getAddress();
        byte[] field = new byte[16];
        System.arraycopy(raw, 0, field, 0, raw.length);
        buffer.put(field);
    }

    private static InetAddress getAddress(ByteBuffer buffer, int family) {
        byte[] field = new byte[16];
        buffer.get(field);
        try {
            return switch (family) {
                case 4 -> InetAddress.getByAddress(java.util.Arrays.copyOf(field, 4));
                case 6 -> InetAddress.getByAddress(field);
                default -> throw new IllegalArgumentException("unknown address family byte " + family);
            };
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    // --- endpoints: __u32 ifindex -> struct endpoint_info -------------------------------------------

    static byte[] endpointKey(int ifindex) {
        return buffer(ENDPOINT_KEY_SIZE).putInt(ifindex).array();
    }

    static int decodeEndpointKey(byte[] key) {
        return wrap(key, ENDPOINT_KEY_SIZE, "endpoint key").getInt();
    }

    /** 0 endpoint_id, 4 identity, 8 flags, 12 ipv4[4], 16 ipv6[16]. */
    static byte[] endpointInfo(EndpointInfo info) {
        ByteBuffer b = buffer(ENDPOINT_INFO_SIZE);
        b.putInt(info.endpointId()).putInt(info.identity());
        b.putInt((info.ingressIsolated() ? ENDPOINT_INGRESS_ISOLATED : 0) | (info.egressIsolated() ? ENDPOINT_EGRESS_ISOLATED : 0));
        b.put(info.ipv4() == null ? new byte[4] : info.ipv4().getAddress());
        b.put(info.ipv6() == null ? new byte[16] : info.ipv6().getAddress());
        return b.array();
    }

    static EndpointInfo decodeEndpointInfo(byte[] value) {
        ByteBuffer b = wrap(value, ENDPOINT_INFO_SIZE, "endpoint info");
        int id = b.getInt();
        int identity = b.getInt();
        int flags = b.getInt();
        byte[] v4 = new byte[4];
        byte[] v6 = new byte[16];
        b.get(v4).get(v6);
        try {
            Inet4Address ipv4 = isZero(v4) ? null : (Inet4Address) InetAddress.getByAddress(v4);
            Inet6Address ipv6 = isZero(v6) ? null : Inet6Address.getByAddress(null, v6, -1);
            return new EndpointInfo(id, identity, (flags & ENDPOINT_INGRESS_ISOLATED) != 0,
                    (flags & ENDPOINT_EGRESS_ISOLATED) != 0, ipv4, ipv6);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean isZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    // --- ipcache: struct ipcache_key -> struct ipcache_value ---------------------------------------

    /** 0 prefixlen (32 + length), 4 family, 5 pad[3], 8 addr[16]. */
    static byte[] ipcacheKey(IpPrefix prefix) {
        ByteBuffer b = buffer(IPCACHE_KEY_SIZE);
        b.putInt(32 + prefix.length()).put((byte) prefix.family()).put(new byte[3]);
        putAddress(b, prefix.address());
        return b.array();
    }

    static IpPrefix decodeIpcacheKey(byte[] key) {
        ByteBuffer b = wrap(key, IPCACHE_KEY_SIZE, "ipcache key");
        int length = b.getInt() - 32;
        int family = b.get();
        b.position(8);
        return new IpPrefix(getAddress(b, family), length);
    }

    /** 0 identity. */
    static byte[] ipcacheValue(int identity) {
        return buffer(IPCACHE_VALUE_SIZE).putInt(identity).array();
    }

    static int decodeIpcacheValue(byte[] value) {
        return wrap(value, IPCACHE_VALUE_SIZE, "ipcache value").getInt();
    }

    // --- policy_cidrs: struct policy_cidr_key -> struct policy_cidr_value --------------------------

    /** 0 prefixlen (64 + length), 4 endpoint_id, 8 direction, 9 family, 10 pad[2], 12 addr[16]. */
    static byte[] policyCidrKey(int endpointId, TrafficDirection direction, IpPrefix prefix) {
        ByteBuffer b = buffer(POLICY_CIDR_KEY_SIZE);
        b.putInt(64 + prefix.length()).putInt(endpointId).put((byte) direction.code()).put((byte) prefix.family());
        b.put(new byte[2]);
        putAddress(b, prefix.address());
        return b.array();
    }

    /** 0 prefix_length. */
    static byte[] policyCidrValue(IpPrefix prefix) {
        return buffer(POLICY_CIDR_VALUE_SIZE).putInt(prefix.length()).array();
    }

    // --- policy: struct policy_key -> struct policy_value ------------------------------------------

    /**
     * 0 prefixlen (256 + port prefix length), 4 endpoint_id, 8 direction, 9 peer_kind, 10 protocol,
     * 11 cidr_length, 12 identity, 16 cidr_family, 17 pad[3], 20 cidr_addr[16], 36 port (big-endian),
     * 38 pad2.
     */
    static byte[] policyKey(PolicyKey key) {
        ByteBuffer b = buffer(POLICY_KEY_SIZE);
        b.putInt(POLICY_FIXED_BITS + key.portPrefixLength()).putInt(key.endpointId()).put((byte) key.direction().code());
        switch (key.peer()) {
            case PolicyPeer.Any any -> b.put((byte) PEER_ANY).put((byte) key.protocol()).put((byte) 0)
                    .putInt(0).put((byte) 0).put(new byte[3]).put(new byte[16]);
            case PolicyPeer.Identity identity -> b.put((byte) PEER_IDENTITY).put((byte) key.protocol()).put((byte) 0)
                    .putInt(identity.identity()).put((byte) 0).put(new byte[3]).put(new byte[16]);
            case PolicyPeer.Cidr cidr -> {
                b.put((byte) PEER_CIDR).put((byte) key.protocol()).put((byte) cidr.prefix().length())
                        .putInt(0).put((byte) cidr.prefix().family()).put(new byte[3]);
                putAddress(b, cidr.prefix().address());
            }
        }
        b.put((byte) (key.portBase() >>> 8)).put((byte) key.portBase());
        return b.array();
    }

    static PolicyKey decodePolicyKey(byte[] key) {
        ByteBuffer b = wrap(key, POLICY_KEY_SIZE, "policy key");
        int portPrefixLength = b.getInt() - POLICY_FIXED_BITS;
        int endpointId = b.getInt();
        TrafficDirection direction = TrafficDirection.ofCode(b.get());
        int peerKind = b.get();
        int protocol = Byte.toUnsignedInt(b.get());
        int cidrLength = Byte.toUnsignedInt(b.get());
        int identity = b.getInt();
        int cidrFamily = b.get();
        b.position(20);
        PolicyPeer peer = switch (peerKind) {
            case PEER_ANY -> PolicyPeer.ANY;
            case PEER_IDENTITY -> new PolicyPeer.Identity(identity);
            case PEER_CIDR -> new PolicyPeer.Cidr(new IpPrefix(getAddress(b, cidrFamily), cidrLength));
            default -> throw new IllegalArgumentException("unknown peer kind " + peerKind + " in a policy key");
        };
        b.position(36);
        int port = (Byte.toUnsignedInt(b.get()) << 8) | Byte.toUnsignedInt(b.get());
        return new PolicyKey(endpointId, direction, peer, protocol, port, portPrefixLength);
    }

    /** 0 admitted. */
    static byte[] policyValue(long admitted) {
        return buffer(POLICY_VALUE_SIZE).putLong(admitted).array();
    }

    static long decodePolicyValue(byte[] value) {
        return wrap(value, POLICY_VALUE_SIZE, "policy value").getLong();
    }

    // --- conntrack: struct ct_key -> struct ct_value -----------------------------------------------

    /** Key: 0 addr_a, 16 addr_b, 32 port_a, 34 port_b, 36 endpoint_id, 40 family, 41 protocol, 42 pad. */
    static int conntrackEndpoint(byte[] key) {
        return wrap(key, CT_KEY_SIZE, "conntrack key").getInt(36);
    }

    /** Value: 0 created_ns, 8 last_seen_ns, 16 expires_ns, 24 flags, 28 direction, 29 pad. */
    static ConntrackEntry decodeConntrack(byte[] key, byte[] value) {
        ByteBuffer k = wrap(key, CT_KEY_SIZE, "conntrack key");
        ByteBuffer v = wrap(value, CT_VALUE_SIZE, "conntrack value");
        int family = k.get(40);
        int protocol = Byte.toUnsignedInt(k.get(41));
        k.position(0);
        InetAddress a = getAddress(k, family);
        InetAddress bAddress = getAddress(k, family);
        int portA = Short.toUnsignedInt(k.getShort(32));
        int portB = Short.toUnsignedInt(k.getShort(34));
        int endpointId = k.getInt(36);
        long created = v.getLong(0);
        long lastSeen = v.getLong(8);
        long expires = v.getLong(16);
        int flags = v.getInt(24);
        TrafficDirection direction = TrafficDirection.ofCode(v.get(28));
        boolean initiatorIsB = (flags & CT_INITIATOR_B) != 0;
        return new ConntrackEntry(endpointId, direction, protocol,
                initiatorIsB ? bAddress : a, initiatorIsB ? portB : portA,
                initiatorIsB ? a : bAddress, initiatorIsB ? portA : portB,
                (flags & CT_SEEN_REPLY) != 0, (flags & CT_CLOSING) != 0, created, lastSeen, expires);
    }

    // --- drops: struct drop_key -> per-CPU struct drop_value ---------------------------------------

    /** Key: 0 endpoint_id, 4 reason, 5 direction, 6 pad[2]. */
    static DropCount decodeDrops(byte[] key, byte[] perCpuValues, int cpus) {
        ByteBuffer k = wrap(key, DROP_KEY_SIZE, "drop key");
        int endpointId = k.getInt(0);
        DropReason reason = DropReason.ofCode(k.get(4));
        TrafficDirection direction = TrafficDirection.ofCode(k.get(5));
        ByteBuffer v = wrap(perCpuValues, DROP_VALUE_SIZE * cpus, "per-CPU drop values");
        long packets = 0;
        long bytes = 0;
        for (int cpu = 0; cpu < cpus; cpu++) {
            packets += v.getLong(cpu * DROP_VALUE_SIZE);
            bytes += v.getLong(cpu * DROP_VALUE_SIZE + 8);
        }
        return new DropCount(endpointId, direction, reason, packets, bytes);
    }
}
