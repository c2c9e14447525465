package dev.jute.agent.service;

import dev.jute.dataplane.bpf.BpfMap;
import dev.jute.dataplane.bpf.ServiceMaps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Service ids against real (pinned) maps: a deleted frontend's id is not given to the next frontend
 * while a connection entry may still carry it, also across an agent restart, where the ids are
 * recovered from the pinned services map and nat_ct. Needs root (a private BPF filesystem); no
 * network namespace, no traffic: the connection entries are written as the programs write them.
 */
class ServiceSyncerIdReuseTest {

    private ScratchServiceMaps scratch;
    private long now = 1_000_000_000_000L;

    @BeforeEach
    void open() throws Exception {
        scratch = ScratchServiceMaps.open("jute-agent-ids");
    }

    @AfterEach
    void close() throws Exception {
        if (scratch != null) {
            scratch.close();
        }
    }

    private int idOf(CompiledFrontend frontend) {
        return scratch.maps().service(frontend.key()).orElseThrow().frontend().serviceId();
    }

    /** A forward nat_ct entry (lib/maps.h struct nat_key / nat_value) of a connection of service {@code serviceId}. */
    private void connection(int serviceId, int clientPort, long expiresNanos) {
        ByteBuffer key = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        key.put(new byte[] {10, 1, 0, 1}).position(16).put(new byte[] {10, 96, 0, 10}).position(32);
        key.putShort((short) clientPort).putShort((short) 80).put((byte) 4).put((byte) 6).put((byte) 1);
        ByteBuffer value = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        value.put(new byte[] {10, 1, 0, 2}).position(32).putShort((short) 8080).position(36).putInt(serviceId);
        value.position(56).putLong(expiresNanos);
        scratch.maps().map(ServiceMaps.NAT_CT).update(key.array(), value.array(), BpfMap.UPDATE_ANY);
    }

    @Test
    void aDeletedFrontendsIdIsNotReusedWhileConnectionsMayCarryItNorAfterARestart() {
        CompiledFrontend a = ScratchServiceMaps.frontend("10.96.0.10");
        CompiledFrontend b = ScratchServiceMaps.frontend("10.96.0.11");
        CompiledFrontend c = ScratchServiceMaps.frontend("10.96.0.12");
        CompiledFrontend d = ScratchServiceMaps.frontend("10.96.0.13");
        ServiceSyncer syncer = new ServiceSyncer(scratch.maps(), () -> now);
        syncer.apply(ScratchServiceMaps.desired(a));
        int aId = idOf(a);
        long established = now + ServiceMaps.LONGEST_CONNECTION_LIFETIME.toNanos();
        connection(aId, 40000, established);

        syncer.apply(ScratchServiceMaps.desired());
        syncer.apply(ScratchServiceMaps.desired(b));
        int bId = idOf(b);
        assertEquals(Set.of(aId), scratch.maps().connectionServiceIds(now).keySet(), "a's connection still carries its id");
        assertNotEquals(aId, bId, "b must not inherit a's id");

        // The agent restarts: a's id is found only in nat_ct, and rests until that entry expires.
        now += Duration.ofHours(1).toNanos();
        ServiceSyncer restarted = new ServiceSyncer(scratch.maps(), () -> now);
        assertEquals(1, restarted.frontends());
        restarted.apply(ScratchServiceMaps.desired(b, c));
        int cId = idOf(c);
        assertEquals(bId, idOf(b), "b keeps its id across the restart");
        assertNotEquals(aId, cId, "c gets a fresh id, not a's");
        assertNotEquals(bId, cId);

        // Once the entry has expired (plus the margin for packets in flight), a's id is free again.
        now = established + ServiceSyncer.ID_QUARANTINE_MARGIN.toNanos();
        restarted.apply(ScratchServiceMaps.desired(b, c, d));
        assertEquals(aId, idOf(d), "the lowest id is reused once no connection can carry it");
    }
}
