package dev.jute.agent.bgp;

import dev.jute.agent.Log;
import dev.jute.agent.k8s.ClusterCache;
import dev.jute.agent.k8s.NodeInfo;
import dev.jute.agent.service.LoadBalancerAnnouncer;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the agent starts for {@code --routing bgp}: {@link BgpRouting}, the admin commands of
 * {@code jute bgp ...}, and in Kubernetes mode the node mesh fed from the Node objects.
 */
public final class BgpService implements AutoCloseable {

    private static final Log LOG = Log.of("bgp");

    private final BgpRouting routing;
    private final boolean announceLoadBalancers;

    private BgpService(BgpRouting routing, boolean announceLoadBalancers) {
        this.routing = routing;
        this.announceLoadBalancers = announceLoadBalancers;
    }

    /**
     * @param cluster  the informer cache in Kubernetes mode (mesh peers = the other nodes' InternalIPs, and
     *                 this node's own InternalIPs when no {@code --node-ip} was given), or null in static mode
     */
    public static BgpService start(BgpOptions options, List<String> podCidrs, Path stateDir,
                                   ClusterCache cluster, String nodeName) throws IOException {
        if (cluster != null && options.nodeIps().isEmpty()) {
            List<InetAddress> own = cluster.node(nodeName).map(NodeInfo::of).map(NodeInfo::internalIps).orElse(List.of());
            options = options.withNodeIps(firstPerFamily(own));
        }
        BgpRouting routing = BgpRouting.start(options, podCidrs, stateDir);
        if (cluster != null && options.mesh()) {
            // Sessions run over the family the speaker listens on: IPv4 when the node has an IPv4 address.
            boolean ipv4 = options.nodeIpv4().isPresent();
            Runnable sync = () -> {
                if (cluster.synced()) {
                    routing.setMeshPeers(otherNodes(cluster, nodeName, ipv4));
                }
            };
            cluster.onChange(sync);
            sync.run();
            LOG.info("node mesh follows the cluster's Node objects");
        }
        // LoadBalancer routes go to external peers only: without one there is no one to tell.
        boolean announce = options.announcesLoadBalancers();
        if (options.announceLoadBalancers() && !announce) {
            LOG.info("LoadBalancer addresses are not announced: no external peer (--bgp-peer)");
        }
        return new BgpService(routing, announce);
    }

    private static List<InetAddress> otherNodes(ClusterCache cluster, String self, boolean ipv4) {
        List<InetAddress> addresses = new ArrayList<>();
        for (var node : cluster.nodes()) {
            NodeInfo info = NodeInfo.of(node);
            if (!info.name().equals(self)) {
                addresses.addAll(info.internalIps().stream().filter(ip -> (ip instanceof java.net.Inet4Address) == ipv4).limit(1).toList());
            }
        }
        return addresses;
    }

    private static List<InetAddress> firstPerFamily(List<InetAddress> addresses) {
        List<InetAddress> out = new ArrayList<>();
        addresses.stream().filter(a -> a instanceof java.net.Inet4Address).findFirst().ifPresent(out::add);
        addresses.stream().filter(a -> a instanceof java.net.Inet6Address).findFirst().ifPresent(out::add);
        return out;
    }

    public BgpRouting routing() {
        return routing;
    }

    /**
     * What Service NAT tells this node's LoadBalancer addresses: the speaker's LoadBalancer routes
     * (nothing with {@code --no-bgp-lb-announce} or without external peers).
     */
    public LoadBalancerAnnouncer loadBalancerAnnouncer() {
        if (!announceLoadBalancers) {
            return LoadBalancerAnnouncer.NONE;
        }
        return addresses -> {
            routing.setLoadBalancerAddresses(addresses);
            // The first call completes the node's own routes: the peers may have their End-of-RIB.
            routing.releaseEndOfRib();
        };
    }

    /**
     * No LoadBalancer addresses will come (Service NAT is off on this node): End-of-RIB need not wait
     * for them.
     */
    public void noLoadBalancerAddresses() {
        routing.releaseEndOfRib();
    }

    /** The admin socket commands {@code jute bgp peers|routes} uses. */
    public Map<String, Function<Map<String, Object>, Map<String, Object>>> adminCommands() {
        return Map.of(
                "bgp-peers", request -> BgpStatusReport.peers(routing),
                "bgp-routes", request -> BgpStatusReport.routes(routing));
    }

    /** Graceful: peers keep our routes, the kernel keeps theirs (see {@link BgpRouting#close()}). */
    @Override
    public void close() {
        routing.close();
    }
}
