package dev.jute.agent;

import dev.jute.dataplane.PtpPodWiring;
import dev.jute.dataplane.Sysctl;
import dev.jute.ipam.AddressRange;
import dev.jute.ipam.FileIpamStore;
import dev.jute.ipam.IpFamily;
import dev.jute.ipam.IpPrefix;
import dev.jute.ipam.Ipam;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The node agent: owns the IPAM state and the dataplane, and serves jute-cni. Start-up order matters:
 * state is reconciled with the kernel before the first CNI request is accepted.
 */
public final class Agent implements AutoCloseable {

    private static final Log LOG = Log.of("agent");

    private final AgentConfig config;
    private final Ipam ipam;
    private final CniMetrics metrics;
    private final CniServer cniServer;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Agent(AgentConfig config, Ipam ipam, CniMetrics metrics, CniServer cniServer) {
        this.config = config;
        this.ipam = ipam;
        this.metrics = metrics;
        this.cniServer = cniServer;
    }

    public static Agent start(AgentConfig config) throws IOException {
        Log.enableDebug(config.debug());
        List<IpPrefix> pools = new ArrayList<>();
        for (String cidr : config.podCidrs()) {
            pools.add(IpPrefix.parse(cidr));
        }
        Ipam ipam = Ipam.open(pools, List.<AddressRange>of(), FileIpamStore.open(config.stateDir().resolve("ipam")));
        try {
            enableIpv6Forwarding(pools);
            PodNetworks pods = new PodNetworks(ipam, new PtpPodWiring(), config.mtu());
            pods.reconcile();
            for (var record : ipam.unreadableRecords()) {
                LOG.warn("unreadable IPAM record keeps its address reserved", "record", record);
            }
            CniMetrics metrics = new CniMetrics();
            CniServer server = CniServer.start(config.socket(), new CniRequestHandler(pods, metrics), config.cniWorkers());
            LOG.info("serving CNI requests", "node", config.nodeName(), "socket", config.socket(), "pools", pools,
                    "allocated", ipam.allocations().size());
            return new Agent(config, ipam, metrics, server);
        } catch (IOException | RuntimeException e) {
            ipam.close();
            throw e;
        }
    }

    /**
     * IPv6 forwarding is gated by {@code all.forwarding} on kernels before 6.17 (newer ones honour the
     * per-interface {@code force_forwarding} the wiring sets). Only when the node has an IPv6 pool, and
     * only in the agent's own namespace: the node's.
     */
    private static void enableIpv6Forwarding(List<IpPrefix> pools) {
        if (pools.stream().anyMatch(p -> p.family() == IpFamily.IPV6) && !Sysctl.exists(Sysctl.interfaceKey("ipv6", "all", "force_forwarding"))) {
            Sysctl.write("net.ipv6.conf.all.forwarding", "1");
        }
    }

    public void awaitShutdown() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        cniServer.close();
        try {
            ipam.close();
        } catch (IOException e) {
            LOG.warn("cannot close the IPAM store", "error", e.getMessage());
        }
        metrics.snapshot().forEach((series, s) -> LOG.info("cni requests", "series", series, "count", s.count(),
                "mean_ms", String.format(java.util.Locale.ROOT, "%.1f", s.meanMillis())));
        LOG.info("stopped", "node", config.nodeName());
        stopped.countDown();
    }
}
