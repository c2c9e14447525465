package dev.jute.dataplane.bpf;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** The Service NAT layouts against the offsets of {@code lib/maps.h}, and the record validation. No root needed. */
class ServiceMapLayoutsTest {

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void serviceKeyAndValueRoundTrip() throws Exception {
        ServiceFrontend frontend = ServiceFrontend.of(77, InetAddress.getByName("10.96.0.10"), 443, ServiceFrontend.UDP,
                FrontendScope.EXTERNAL).withAffinity(10800).withExternalTrafficLocal(true);
        byte[] key = ServiceMapLayouts.serviceKey(frontend.key());
        assertEquals(24, key.length);
        assertArrayEquals(InetAddress.getByName("10.96.0.10").getAddress(), Arrays.copyOf(key, 4));
        assertEquals(443, le(key).getShort(16));
        assertEquals(17, key[18]);
        assertEquals(4, key[19]);
        assertEquals(1, key[20], "external scope");
        byte[] value = ServiceMapLayouts.serviceValue(frontend, 3, 1);
        assertEquals(16, value.length);
        assertEquals(77, le(value).getInt(0));
        assertEquals(3, le(value).getShort(4));
        assertEquals(1, le(value).getShort(6));
        assertEquals(ServiceMapLayouts.SERVICE_AFFINITY | ServiceMapLayouts.SERVICE_EXTERNAL_LOCAL
                     | ServiceMapLayouts.SERVICE_REJECT_WITHOUT_BACKENDS, le(value).getInt(8));
        assertEquals(10800, le(value).getInt(12));
        assertEquals(frontend, ServiceMapLayouts.decodeService(key, value));
    }

    @Test
    void backendAndRevnatLayouts() throws Exception {
        ServiceBackend backend = new ServiceBackend(InetAddress.getByName("fd00::7"), 8443, true);
        byte[] value = ServiceMapLayouts.backendValue(backend);
        assertEquals(20, value.length);
        assertEquals(8443, le(value).getShort(16));
        assertEquals(6, value[18]);
        assertEquals(1, value[19]);
        assertEquals(backend, ServiceMapLayouts.decodeBackend(value));
        assertEquals(8, ServiceMapLayouts.backendKey(5, 2).length);
        assertEquals(2, le(ServiceMapLayouts.backendKey(5, 2)).getInt(4));
        byte[] revnat = ServiceMapLayouts.revnatValue(ServiceFrontend.of(5, InetAddress.getByName("10.96.0.1"), 53,
                ServiceFrontend.UDP, FrontendScope.INTERNAL));
        assertEquals(53, le(revnat).getShort(16));
        assertEquals(4, revnat[18]);
    }

    @Test
    void liveBackendKeyNamesServiceAddressPortAndFamily() throws Exception {
        byte[] key = ServiceMapLayouts.liveBackendKey(77, new ServiceBackend(InetAddress.getByName("10.1.2.3"), 8080, true));
        assertEquals(24, key.length);
        assertEquals(77, le(key).getInt(0));
        assertArrayEquals(InetAddress.getByName("10.1.2.3").getAddress(), Arrays.copyOfRange(key, 4, 8));
        assertEquals(8080, le(key).getShort(20));
        assertEquals(4, key[22]);
        assertEquals(0, key[23]);
        assertArrayEquals(key, ServiceMapLayouts.liveBackendKey(77, new ServiceBackend(InetAddress.getByName("10.1.2.3"), 8080, false)),
                "node-locality is not part of a backend's identity");
        assertArrayEquals(new byte[]{1}, ServiceMapLayouts.liveBackendValue());
    }

    @Test
    void badFrontendsAndBackendsAreRefused() throws Exception {
        InetAddress vip = InetAddress.getByName("10.96.0.10");
        assertThrows(IllegalArgumentException.class, () -> ServiceFrontend.of(0, vip, 80, 6, FrontendScope.INTERNAL));
        assertThrows(IllegalArgumentException.class, () -> ServiceFrontend.of(1, vip, 0, 6, FrontendScope.INTERNAL));
        assertThrows(IllegalArgumentException.class, () -> ServiceFrontend.of(1, vip, 80, 1, FrontendScope.INTERNAL),
                "ICMP is not balanced");
        assertThrows(IllegalArgumentException.class,
                () -> ServiceFrontend.of(1, vip, 80, 6, FrontendScope.INTERNAL).withAffinity(86_401));
        assertThrows(IllegalArgumentException.class, () -> new ServiceBackend(vip, 70000, false));
    }

    @Test
    void socketLbLayouts() {
        assertEquals(4, ServiceMapLayouts.sockLbConfigKey().length);
        byte[] config = ServiceMapLayouts.sockLbConfigValue(0x1122334455667788L);
        assertEquals(ServiceMapLayouts.SOCK_LB_CONFIG_VALUE_SIZE, config.length);
        assertEquals((byte) 0x88, config[0], "little-endian u64 at offset 0");
        assertEquals(0x1122334455667788L, ServiceMapLayouts.decodeSockLbConfig(config));
    }
}
