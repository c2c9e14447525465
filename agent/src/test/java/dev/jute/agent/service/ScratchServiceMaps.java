package dev.jute.agent.service;

import dev.jute.dataplane.bpf.BpfFilesystem;
import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceDataplane;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.dataplane.bpf.ServiceMaps;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real Service maps on a private BPF filesystem under /tmp, for syncer tests that need the kernel's
 * maps but no namespaces: opened like the agent opens them, unmounted and removed on close.
 */
final class ScratchServiceMaps implements AutoCloseable {

    static final ServiceBackend BACKEND = new ServiceBackend(InetAddress.ofLiteral("10.1.0.2"), 8080, true);

    private final Path bpffs;
    private final ServiceDataplane dataplane;

    private ScratchServiceMaps(Path bpffs, ServiceDataplane dataplane) {
        this.bpffs = bpffs;
        this.dataplane = dataplane;
    }

    /** Skips the test without root or without the BPF dataplane. */
    static ScratchServiceMaps open(String name) throws Exception {
        assumeTrue(Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*")),
                "needs root (mounts a BPF filesystem, loads a BPF program): skipped");
        assumeTrue(ServiceDataplane.unavailableReason().isEmpty(), () -> ServiceDataplane.unavailableReason().orElseThrow());
        Path bpffs = Files.createDirectories(Path.of("/tmp", name + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt())));
        BpfFilesystem.mount(bpffs);
        try {
            return new ScratchServiceMaps(bpffs, ServiceDataplane.open(bpffs.resolve("node")));
        } catch (RuntimeException e) {
            BpfFilesystem.unmount(bpffs);
            Files.deleteIfExists(bpffs);
            throw e;
        }
    }

    ServiceMaps maps() {
        return dataplane.maps();
    }

    /** A ClusterIP frontend on port 80/TCP with {@link #BACKEND} as its one backend. */
    static CompiledFrontend frontend(String vip) {
        ServiceFrontend.Key key = new ServiceFrontend.Key(InetAddress.ofLiteral(vip), 80, ServiceFrontend.TCP, FrontendScope.INTERNAL);
        return new CompiledFrontend("ns/" + vip, "", key, false, false, 0, List.of(BACKEND));
    }

    /** The frontends as the compiler hands them to the syncer, by key. */
    static Map<ServiceFrontend.Key, CompiledFrontend> desired(CompiledFrontend... frontends) {
        Map<ServiceFrontend.Key, CompiledFrontend> desired = new HashMap<>();
        for (CompiledFrontend f : frontends) {
            desired.put(f.key(), f);
        }
        return desired;
    }

    @Override
    public void close() throws Exception {
        dataplane.close();
        BpfFilesystem.unmount(bpffs);
        Files.deleteIfExists(bpffs);
    }
}
