package dev.jute.agent.service;

import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.dataplane.bpf.ServiceMaps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write that fails halfway against real (pinned) maps: the services map is filled up to one free
 * entry, so a write of two new frontends lands one of them and fails on the other, as a batch update
 * stops at its first failing entry. The syncer must learn which one landed: once it leaves the desired
 * set it is deleted from the kernel, and its backend's live pair goes with it. Needs root (a private
 * BPF filesystem); no network namespace, no traffic.
 */
class ServiceSyncerWriteFailureTest {

    private ScratchServiceMaps scratch;

    @BeforeEach
    void open() throws Exception {
        scratch = ScratchServiceMaps.open("jute-agent-wfail");
    }

    @AfterEach
    void close() throws Exception {
        if (scratch != null) {
            scratch.close();
        }
    }

    /**
     * Fills the services map, behind the syncer's back, until exactly one entry is free (and leaves the
     * other maps room); the fillers' keys.
     */
    private List<ServiceFrontend.Key> fillAllButOne() {
        ServiceMaps maps = scratch.maps();
        int free = maps.map(ServiceMaps.SERVICES).maxEntries() - maps.services().size() - 1;
        Map<ServiceFrontend, List<ServiceBackend>> fillers = new LinkedHashMap<>();
        for (int i = 0; i < free; i++) {
            // 10.200.0.0/16 by index, ids far above the syncer's (it hands out the lowest free ones).
            InetAddress address = InetAddress.ofLiteral("10.200." + (i >> 8) + "." + (i & 0xff));
            fillers.put(new ServiceFrontend(1_000_000 + i, address, 9, ServiceFrontend.TCP, FrontendScope.INTERNAL,
                    false, false, 0, true), List.of());
        }
        maps.upsertServices(fillers);
        // The reverse-NAT map is as large and is written before the frontends: empty it, so the write fails there.
        var revnat = maps.map(ServiceMaps.REVNAT);
        revnat.keys().forEach(revnat::delete);
        return fillers.keySet().stream().map(ServiceFrontend::key).toList();
    }

    @Test
    void aFrontendThatLandedBeforeTheWriteFailedIsDeletedOnceNoLongerWanted() {
        CompiledFrontend a = ScratchServiceMaps.frontend("10.96.0.10");
        CompiledFrontend b = ScratchServiceMaps.frontend("10.96.0.11");
        ServiceMaps maps = scratch.maps();
        ServiceSyncer syncer = new ServiceSyncer(maps);
        List<ServiceFrontend.Key> fillers = fillAllButOne();

        assertThrows(RuntimeException.class, () -> syncer.apply(ScratchServiceMaps.desired(a, b), Set.of(a.key(), b.key())),
                "the services map has room for one of the two");
        List<CompiledFrontend> landed = List.of(a, b).stream().filter(f -> maps.service(f.key()).isPresent()).toList();
        assertEquals(1, landed.size(), "a batch update writes up to its failing entry");
        CompiledFrontend survivor = landed.getFirst();
        int survivorId = maps.service(survivor.key()).orElseThrow().frontend().serviceId();
        assertEquals(1, syncer.frontends(), "the syncer knows the frontend that landed");
        assertTrue(maps.isLive(survivorId, ScratchServiceMaps.BACKEND));

        // The frontend leaves the desired set (an incremental pass: only what changed is looked at).
        fillers.forEach(maps::deleteService);
        syncer.apply(ScratchServiceMaps.desired(), Set.of(a.key(), b.key()));
        assertTrue(maps.service(survivor.key()).isEmpty(), "a frontend that left the desired set is deleted from the kernel");
        assertFalse(maps.isLive(survivorId, ScratchServiceMaps.BACKEND), "its backend's connections are retired");
        assertEquals(0, syncer.frontends());
        assertTrue(maps.services().isEmpty());

        // And the syncer writes again as usual.
        syncer.apply(ScratchServiceMaps.desired(a, b), Set.of(a.key(), b.key()));
        assertEquals(2, maps.services().size());
        assertEquals(2, syncer.frontends());
    }
}
