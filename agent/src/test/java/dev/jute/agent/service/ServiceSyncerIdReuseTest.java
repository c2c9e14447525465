package dev.jute.agent.service;

import dev.jute.dataplane.bpf.BpfFilesystem;
import dev.jute.dataplane.bpf.BpfMap;
import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceDataplane;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.dataplane.bpf.ServiceMaps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Service ids against real (pinned) maps: a deleted frontend's id is not given to the next frontend
 * while a connection entry may still carry it, also across an agent restart, where the ids are
 * recovered from the pinned services map and nat_ct. Needs root (a private BPF filesystem); no
 * network namespace, no traffic: the connection entries are written as the programs write them.
 */
class ServiceSyncerIdReuseTest {

    private Path bpffs;
    private ServiceDataplane dataplane;
    private long now = 1_000_000_000_000L;

    @BeforeEach
    void open() throws Exception {
        assumeTrue(Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*")),
                "needs root (mounts a BPF filesystem, loads a BPF program): skipped");
        assumeTrue(ServiceDataplane.unavailableReason().isEmpty(), () -> ServiceDataplane.unavailableReason().orElseThrow());
        bpffs = Files.createDirectories(Path.of("/tmp", "jute-agent-ids-" + Integer.toHexString(ThreadLocalRandom.current().nextInt())));
        BpfFilesystem.mount(bpffs);
        dataplane = ServiceDataplane.open(bpffs.resolve("node"));
    }

    @AfterEach
    void close() throws Exception {
        if (dataplane != null) {
            dataplane.close();
        }
        if (bpffs != null) {
            BpfFilesystem.unmount(bpffs);
            Files.deleteIfExists(bpffs);
        }
    }

    private static CompiledFrontend frontend(String vip) {
        ServiceFrontend.Key key = new ServiceFrontend.Key(InetAddress.ofLiteral(vip), 80, ServiceFrontend.TCP, FrontendScope.INTERNAL);
        return new CompiledFrontend("ns/" + vip, "", key, false, false, 0,
                List.of(new ServiceBackend(InetAddress.ofLiteral("10.1.0.2"), 8080, true)));
    }

    private Map<ServiceFrontend.Key, CompiledFrontend> desired(CompiledFrontend... frontends) {
        Map<ServiceFrontend.Key, CompiledFrontend> desired = new HashMap<>();
        for (CompiledFrontend f : frontends) {
            desired.put(f.key(), f);
        }
        return desired;
    }

    private int idOf(CompiledFrontend frontend) {
        return dataplane.maps().service(frontend.key()).orElseThrow().frontend().serviceId();
    }

    /** A forward nat_ct entry (lib/maps.h struct nat_key / nat_value) of a connection of service {@code serviceId}. */
    private void connection(int serviceId, int clientPort, long expiresNanos) {
        ByteBuffer key = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        key.put(new byte[] {10, 1, 0, 1}).position(16).put(new byte[] {10, 96, 0, 10}).position(32);
        key.putShort((short) clientPort).putShort((short) 80).put((byte) 4).put((byte) 6).put((byte) 1);
        ByteBuffer value = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        value.put(new byte[] {10, 1, 0, 2}).position(32).putShort((short) 8080).position(36).putInt(serviceId);
        value.position(56).putLong(expiresNanos);
        dataplane.maps().map(ServiceMaps.NAT_CT).update(key.array(), value.array(), BpfMap.UPDATE_ANY);
    }

    @Test
    void aDeletedFrontendsIdIsNotReusedWhileConnectionsMayCarryItNorAfterARestart() {
        CompiledFrontend a = frontend("10.96.0.10");
        CompiledFrontend b = frontend("10.96.0.11");
        CompiledFrontend c = frontend("10.96.0.12");
        CompiledFrontend d = frontend("10.96.0.13");
        ServiceSyncer syncer = new ServiceSyncer(dataplane.maps(), () -> now);
        syncer.apply(desired(a));
        int aId = idOf(a);
        long established = now + ServiceMaps.LONGEST_CONNECTION_LIFETIME.toNanos();
        connection(aId, 40000, established);

        syncer.apply(desired());
        syncer.apply(desired(b));
        int bId = idOf(b);
        assertEquals(Set.of(aId), dataplane.maps().connectionServiceIds(now).keySet(), "a's connection still carries its id");
        assertNotEquals(aId, bId, "b must not inherit a's id");

        // The agent restarts: a's id is found only in nat_ct, and rests until that entry expires.
        now += Duration.ofHours(1).toNanos();
        ServiceSyncer restarted = new ServiceSyncer(dataplane.maps(), () -> now);
        assertEquals(1, restarted.frontends());
        restarted.apply(desired(b, c));
        int cId = idOf(c);
        assertEquals(bId, idOf(b), "b keeps its id across the restart");
        assertNotEquals(aId, cId, "c gets a fresh id, not a's");
        assertNotEquals(bId, cId);

        // Once the entry has expired (plus the margin for packets in flight), a's id is free again.
        now = established + ServiceSyncer.ID_QUARANTINE_MARGIN.toNanos();
        restarted.apply(desired(b, c, d));
        assertEquals(aId, idOf(d), "the lowest id is reused once no connection can carry it");
    }
}
