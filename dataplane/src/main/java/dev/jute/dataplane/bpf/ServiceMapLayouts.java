package dev.jute.dataplane.bpf;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Byte layouts of the Service NAT maps, mirroring the C structs of {@code src/main/bpf/lib/maps.h}
 * byte for byte (offsets repeated at each method). Same rules as {@link MapLayouts}: integers
 * little-endian, ports in host order, addresses raw network-order bytes in a 16-byte field (IPv4
 * in the first 4), padding zero.
 */
final class ServiceMapLayouts {

    static final int SERVICE_KEY_SIZE = 24;
    static final int SERVICE_VALUE_SIZE = 16;
    static final int BACKEND_KEY_SIZE = 8;
    static final int BACKEND_VALUE_SIZE = 20;
    static final int LIVE_BACKEND_KEY_SIZE = 24;
    static final int LIVE_BACKEND_VALUE_SIZE = 1;
    static final int REVNAT_KEY_SIZE = 4;
    static final int REVNAT_VALUE_SIZE = 20;
    static final int AFFINITY_KEY_SIZE = 24;
    static final int AFFINITY_VALUE_SIZE = 32;
    static final int NAT_KEY_SIZE = 40;
    static final int NAT_VALUE_SIZE = 64;
    static final int LB_CONFIG_KEY_SIZE = 4;
    static final int LB_CONFIG_VALUE_SIZE = 20;

    static final int SERVICE_AFFINITY = 1;
    static final int SERVICE_EXTERNAL_LOCAL = 2;
    static final int SERVICE_INTERNAL_LOCAL = 4;
    static final int SERVICE_REJECT_WITHOUT_BACKENDS = 8;

    static final int BACKEND_LOCAL = 1;

    static final byte LIVE_BACKEND = 1;

    static final int NAT_FORWARD = 1;
    static final int NAT_REVERSE = 2;

    /** The most backends one frontend can have: the counts are 16-bit. */
    static final int MAX_BACKENDS = 65535;

    private ServiceMapLayouts() {
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

    static int family(InetAddress address) {
        return address instanceof Inet6Address ? 6 : 4;
    }

    private static byte[] addressField(InetAddress address) {
        return Arrays.copyOf(address.getAddress(), 16);
    }

    private static InetAddress address(byte[] bytes, int offset, int family) {
        try {
            return switch (family) {
                case 4 -> InetAddress.getByAddress(Arrays.copyOfRange(bytes, offset, offset + 4));
                case 6 -> Inet6Address.getByAddress(null, Arrays.copyOfRange(bytes, offset, offset + 16), -1);
                default -> throw new IllegalArgumentException("unknown address family byte " + family);
            };
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    // --- services: struct service_key -> struct service_value ---------------------------------------

    /** 0 addr[16], 16 port, 18 protocol, 19 family, 20 scope, 21 pad[3]. */
    static byte[] serviceKey(ServiceFrontend.Key key) {
        ByteBuffer b = buffer(SERVICE_KEY_SIZE);
        b.put(addressField(key.address())).putShort((short) key.port()).put((byte) key.protocol())
                .put((byte) family(key.address())).put((byte) key.scope().code());
        return b.array();
    }

    /** 0 service_id, 4 backend_count, 6 local_backend_count, 8 flags, 12 affinity_timeout_s. */
    static byte[] serviceValue(ServiceFrontend frontend, int backendCount, int localBackendCount) {
        int flags = (frontend.hasAffinity() ? SERVICE_AFFINITY : 0)
                    | (frontend.externalTrafficLocal() ? SERVICE_EXTERNAL_LOCAL : 0)
                    | (frontend.internalTrafficLocal() ? SERVICE_INTERNAL_LOCAL : 0)
                    | (frontend.rejectWithoutBackends() ? SERVICE_REJECT_WITHOUT_BACKENDS : 0);
        return buffer(SERVICE_VALUE_SIZE).putInt(frontend.serviceId()).putShort((short) backendCount)
                .putShort((short) localBackendCount).putInt(flags).putInt(frontend.affinityTimeoutSeconds()).array();
    }

    /** The fields of a service value that are not part of {@link ServiceFrontend}. */
    record ServiceCounts(int serviceId, int backendCount, int localBackendCount) {
    }

    static ServiceCounts decodeServiceCounts(byte[] value) {
        ByteBuffer b = wrap(value, SERVICE_VALUE_SIZE, "service value");
        return new ServiceCounts(b.getInt(0), Short.toUnsignedInt(b.getShort(4)), Short.toUnsignedInt(b.getShort(6)));
    }

    static ServiceFrontend decodeService(byte[] key, byte[] value) {
        ByteBuffer k = wrap(key, SERVICE_KEY_SIZE, "service key");
        ByteBuffer v = wrap(value, SERVICE_VALUE_SIZE, "service value");
        InetAddress address = address(key, 0, k.get(19));
        int port = Short.toUnsignedInt(k.getShort(16));
        int protocol = Byte.toUnsignedInt(k.get(18));
        FrontendScope scope = FrontendScope.ofCode(k.get(20));
        int flags = v.getInt(8);
        int timeout = v.getInt(12);
        return new ServiceFrontend(v.getInt(0), address, port, protocol, scope, (flags & SERVICE_EXTERNAL_LOCAL) != 0,
                (flags & SERVICE_INTERNAL_LOCAL) != 0, (flags & SERVICE_AFFINITY) != 0 ? timeout : 0,
                (flags & SERVICE_REJECT_WITHOUT_BACKENDS) != 0);
    }

    // --- backends: struct backend_key -> struct backend_value ---------------------------------------

    /** 0 service_id, 4 slot (1-based). */
    static byte[] backendKey(int serviceId, int slot) {
        return buffer(BACKEND_KEY_SIZE).putInt(serviceId).putInt(slot).array();
    }

    /** 0 addr[16], 16 port, 18 family, 19 flags. */
    static byte[] backendValue(ServiceBackend backend) {
        ByteBuffer b = buffer(BACKEND_VALUE_SIZE);
        b.put(addressField(backend.address())).putShort((short) backend.port()).put((byte) family(backend.address()))
                .put((byte) (backend.nodeLocal() ? BACKEND_LOCAL : 0));
        return b.array();
    }

    static ServiceBackend decodeBackend(byte[] value) {
        ByteBuffer b = wrap(value, BACKEND_VALUE_SIZE, "backend value");
        return new ServiceBackend(address(value, 0, b.get(18)), Short.toUnsignedInt(b.getShort(16)),
                (b.get(19) & BACKEND_LOCAL) != 0);
    }

    // --- live_backends: struct live_backend_key -> __u8 LIVE_BACKEND ---------------------------------

    /** 0 service_id, 4 addr[16], 20 port, 22 family, 23 pad. Node-locality is not part of the key. */
    static byte[] liveBackendKey(int serviceId, ServiceBackend backend) {
        ByteBuffer b = buffer(LIVE_BACKEND_KEY_SIZE);
        b.putInt(serviceId).put(addressField(backend.address())).putShort((short) backend.port())
                .put((byte) family(backend.address()));
        return b.array();
    }

    static byte[] liveBackendValue() {
        return new byte[]{LIVE_BACKEND};
    }

    // --- revnat: __u32 service id -> struct revnat_value ----------------------------------------------

    static byte[] revnatKey(int serviceId) {
        return buffer(REVNAT_KEY_SIZE).putInt(serviceId).array();
    }

    /** 0 addr[16], 16 port, 18 family, 19 pad. */
    static byte[] revnatValue(ServiceFrontend frontend) {
        ByteBuffer b = buffer(REVNAT_VALUE_SIZE);
        b.put(addressField(frontend.address())).putShort((short) frontend.port()).put((byte) family(frontend.address()));
        return b.array();
    }

    // --- nat_ct: struct nat_key -> struct nat_value ---------------------------------------------------

    /** Key: 0 saddr, 16 daddr, 32 sport, 34 dport, 36 family, 37 protocol, 38 kind, 39 pad. */
    static int natKind(byte[] key) {
        return wrap(key, NAT_KEY_SIZE, "nat key").get(38);
    }

    /** Value offset 36: the reverse-NAT index (service id). */
    static int natServiceId(byte[] value) {
        return wrap(value, NAT_VALUE_SIZE, "nat value").getInt(36);
    }

    /** Value offset 56: expires_ns, CLOCK_MONOTONIC nanoseconds; an entry is a miss from then on. */
    static long natExpiresNanos(byte[] value) {
        return wrap(value, NAT_VALUE_SIZE, "nat value").getLong(56);
    }

    // --- lb_config: __u32 0 -> struct lb_config -------------------------------------------------------

    static byte[] lbConfigKey() {
        return buffer(LB_CONFIG_KEY_SIZE).putInt(0).array();
    }

    /** 0 node_ipv4[4], 4 node_ipv6[16]; zero when absent. */
    static byte[] lbConfigValue(Inet4Address nodeIpv4, Inet6Address nodeIpv6) {
        ByteBuffer b = buffer(LB_CONFIG_VALUE_SIZE);
        b.put(nodeIpv4 == null ? new byte[4] : nodeIpv4.getAddress());
        b.put(nodeIpv6 == null ? new byte[16] : nodeIpv6.getAddress());
        return b.array();
    }

    // --- socket-level load balancing (sock_lb.c) ----------------------------------------------------

    static final int SOCK_REVNAT_KEY_SIZE = 32;
    static final int SOCK_REVNAT_VALUE_SIZE = 24;
    static final int SOCK_LB_CONFIG_KEY_SIZE = 4;
    static final int SOCK_LB_CONFIG_VALUE_SIZE = 8;

    static byte[] sockLbConfigKey() {
        return buffer(SOCK_LB_CONFIG_KEY_SIZE).putInt(0).array();
    }

    /** 0 netns_cookie (u64): the namespace whose sockets are translated; 0 translates none. */
    static byte[] sockLbConfigValue(long netnsCookie) {
        return buffer(SOCK_LB_CONFIG_VALUE_SIZE).putLong(netnsCookie).array();
    }

    static long decodeSockLbConfig(byte[] value) {
        return wrap(value, SOCK_LB_CONFIG_VALUE_SIZE, "sock_lb_config value").getLong(0);
    }
}
