package dev.jute.agent.k8s;

import dev.jute.agent.Log;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Waits for this node's pod CIDRs: {@code spec.podCIDRs} of its Node object, which the control plane's
 * node-IPAM controller fills in after the node registers. The agent cannot hand out addresses before.
 * It waits on the informer cache (woken by its events), never by polling the API.
 */
public final class NodePodCidrs {

    private static final Log LOG = Log.of("k8s");
    private static final Duration LOG_EVERY = Duration.ofSeconds(5);

    private NodePodCidrs() {
    }

    /** Blocks until the Node named {@code nodeName} has pod CIDRs, logging every few seconds while it waits. */
    public static List<String> await(ClusterCache cache, String nodeName) throws InterruptedException {
        Object changed = new Object();
        cache.onChange(() -> {
            synchronized (changed) {
                changed.notifyAll();
            }
        });
        long started = System.nanoTime();
        long nextLog = 0;
        while (true) {
            Optional<NodeInfo> node;
            synchronized (changed) {
                node = cache.node(nodeName).map(NodeInfo::of);
                if (node.isPresent() && !node.get().podCidrs().isEmpty()) {
                    break;
                }
                // Bounded so that the progress line below is written even when nothing happens.
                changed.wait(1_000);
            }
            long waited = System.nanoTime() - started;
            if (waited >= nextLog) {
                LOG.info(node.isPresent() ? "waiting for the control plane to assign spec.podCIDRs" : "waiting for the Node object",
                        "node", nodeName, "waited_s", TimeUnit.NANOSECONDS.toSeconds(waited),
                        "informers_synced", cache.synced());
                nextLog = waited + LOG_EVERY.toNanos();
            }
        }
        NodeInfo info = NodeInfo.of(cache.node(nodeName).orElseThrow());
        LOG.info("node pod CIDRs", "node", nodeName, "cidrs", info.podCidrs(), "internal_ips",
                info.internalIps().stream().map(dev.jute.dataplane.AddressText::of).toList());
        return info.podCidrs();
    }
}
