package dev.jute.agent.bgp;

import dev.jute.agent.Log;
import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.BgpSpeaker;
import dev.jute.bgp.PeerConfig;
import dev.jute.bgp.PeerStatus;
import dev.jute.bgp.Prefix;
import dev.jute.bgp.Route;
import dev.jute.bgp.fsm.SessionState;
import dev.jute.dataplane.AddressText;
import dev.jute.dataplane.NetlinkSocket;
import dev.jute.dataplane.RouteNetlink;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * BGP routing of the node: a speaker with the node's router id and AS that announces the node's pod
 * CIDRs (next hop: the node's address) and, to external peers, its LoadBalancer addresses as host routes
 * ({@link #setLoadBalancerAddresses}), peers with the other nodes (full iBGP mesh, unless disabled) and
 * with external routers, and installs the routes it learns through a {@link KernelRouteInstaller}.
 *
 * <p>Peering changes are incremental: {@link #setMeshPeers} adds and removes only the neighbours that
 * changed, so sessions that stay are never reset. {@link #close()} stops for a restart: no NOTIFICATION,
 * peers keep our routes for the graceful-restart time, the kernel keeps theirs.
 */
public final class BgpRouting implements AutoCloseable {

    /**
     * How long End-of-RIB may wait for the node's LoadBalancer routes (announced by the first Service
     * pass, which needs the informers synced): past it the peers get it anyway.
     */
    static final Duration END_OF_RIB_HOLD = Duration.ofSeconds(10);

    private static final Log LOG = Log.of("bgp");
    /** After every peer is up, this long without route changes means their tables have arrived. */
    private static final Duration QUIET_BEFORE_SETTLE = Duration.ofSeconds(3);

    private final BgpOptions options;
    private final BgpSpeaker speaker;
    private final KernelRouteInstaller installer;
    private final NetlinkSocket socket;
    private final RestartMarker marker;
    private final Thread settler;
    private final long startedNanos = System.nanoTime();
    /** The node's pod CIDRs, announced to every peer (the LoadBalancer host routes are {@code loadBalancerRoutes}). */
    private final List<Prefix> podCidrs;
    /** Neighbours the speaker has now, with the configuration they were added with. */
    private final Map<InetAddress, PeerConfig> configured = new LinkedHashMap<>();
    private final Set<InetAddress> externalAddresses = new LinkedHashSet<>();
    private final OwnRoutesExportPolicy exportPolicy;
    /** The LoadBalancer host routes originated now (guarded by this). */
    private Set<Prefix> loadBalancerRoutes = Set.of();
    /** Families whose LoadBalancer addresses were skipped for want of a node address (warned once). */
    private final Set<AddressFamily> warnedWithoutNextHop = java.util.EnumSet.noneOf(AddressFamily.class);
    private volatile boolean closed;

    private BgpRouting(BgpOptions options, BgpSpeaker speaker, KernelRouteInstaller installer, NetlinkSocket socket,
                       RestartMarker marker, List<Prefix> podCidrs, OwnRoutesExportPolicy exportPolicy) {
        this.options = options;
        this.exportPolicy = exportPolicy;
        this.speaker = speaker;
        this.installer = installer;
        this.socket = socket;
        this.marker = marker;
        this.podCidrs = podCidrs;
        this.settler = Thread.ofPlatform().name("bgp-settle").daemon().unstarted(this::settleWhenTablesArrived);
    }

    /**
     * Starts routing in the calling process's network namespace (the node's).
     *
     * @param podCidrs the node's pod CIDRs, announced to every peer
     * @param stateDir where the graceful-restart marker lives
     */
    public static BgpRouting start(BgpOptions options, List<String> podCidrs, Path stateDir) {
        Inet4Address routerId = options.routerId();
        if (routerId == null) {
            routerId = (Inet4Address) options.nodeIpv4().orElseThrow(() -> new IllegalArgumentException(
                    "BGP needs the node's IPv4 address as router id: give --node-ip (or --bgp-router-id)"));
        }
        List<Prefix> own = new ArrayList<>();
        for (String cidr : podCidrs) {
            Prefix prefix = Prefix.parse(cidr);
            if (prefix.family() == AddressFamily.IPV4 ? options.nodeIpv4().isEmpty() : options.nodeIpv6().isEmpty()) {
                throw new IllegalArgumentException("pod CIDR " + cidr + " needs a --node-ip of its family as next hop");
            }
            own.add(prefix);
        }
        RestartMarker marker = new RestartMarker(stateDir);
        boolean restarting = marker.consume(options.gracefulRestart());
        NetlinkSocket socket = NetlinkSocket.open();
        KernelRouteInstaller installer = null;
        BgpSpeaker speaker = null;
        Set<InetAddress> externalPeers = new LinkedHashSet<>();
        options.externalPeers().forEach(peer -> externalPeers.add(peer.address()));
        OwnRoutesExportPolicy exportPolicy = new OwnRoutesExportPolicy(Set.copyOf(own), externalPeers);
        try {
            installer = KernelRouteInstaller.start(new RouteNetlink(socket), own);
            BgpSpeaker.Builder builder = BgpSpeaker.builder().localAs(options.localAs()).routerId(routerId)
                    .listen(listenAddress(options), options.port())
                    .holdTime(options.holdTime())
                    .connectRetry(Duration.ofSeconds(5))
                    // The speaker refuses connections while it idles after a failure; a short idle hold gets a
                    // session back soon after a peer restarts (see also meshPeer: one side of a pair connects).
                    .idleHold(Duration.ofSeconds(1))
                    .gracefulRestartTime(options.gracefulRestart().isZero() ? null : options.gracefulRestart())
                    .restarting(restarting && installer.adoptedCount() > 0)
                    .exportPolicy(exportPolicy)
                    // LoadBalancer routes come with the first Service pass, after the sessions may be up: a
                    // peer that kept them across our restart must not get End-of-RIB before they are back.
                    .holdEndOfRib(options.announcesLoadBalancers() ? END_OF_RIB_HOLD : null)
                    .routeListener(installer);
            speaker = builder.build().start();
            BgpRouting routing = new BgpRouting(options, speaker, installer, socket, marker, List.copyOf(own), exportPolicy);
            for (Prefix prefix : own) {
                speaker.announce(prefix, routing.nodeAddress(prefix.family()).orElseThrow(), null);
            }
            for (ExternalPeer peer : options.externalPeers()) {
                routing.addPeer(peer.toPeerConfig(options.localAs()), true);
            }
            if (options.mesh()) {
                routing.setMeshPeers(options.meshPeers());
            } else if (!options.meshPeers().isEmpty()) {
                LOG.warn("--bgp-mesh-peer ignored: the node mesh is off (--no-bgp-mesh)");
            }
            routing.settler.start();
            LOG.info("BGP routing started", "as", options.localAs(), "router_id", AddressText.of(routerId),
                    "announcing", own, "restarting", restarting, "adopted_routes", installer.adoptedCount(),
                    "transport", speaker.transportName());
            return routing;
        } catch (RuntimeException e) {
            if (speaker != null) {
                speaker.shutdown(true);
            }
            if (installer != null) {
                installer.close();
            }
            socket.close();
            throw e;
        }
    }

    /**
     * The node's address (IPv4 when it has one). One listener is all the speaker has; a wildcard IPv6
     * socket would see IPv4 peers as mapped addresses, which neither the peer lookup nor the listener's
     * TCP MD5 keys would match. Peers of the other family are reached by connecting out to them.
     */
    private static InetAddress listenAddress(BgpOptions options) {
        return options.nodeIpv4().or(options::nodeIpv6).orElseThrow();
    }

    /**
     * Makes the node mesh exactly {@code nodes} (the other nodes' addresses; the node's own addresses and
     * those configured as external peers are skipped). Only the difference is applied.
     */
    public synchronized void setMeshPeers(Collection<InetAddress> nodes) {
        if (closed || !options.mesh()) {
            return;
        }
        Set<InetAddress> wanted = new LinkedHashSet<>();
        for (InetAddress node : nodes) {
            if (!options.nodeIps().contains(node) && !externalAddresses.contains(node)) {
                wanted.add(node);
            }
        }
        for (InetAddress gone : new ArrayList<>(configured.keySet())) {
            if (!externalAddresses.contains(gone) && !wanted.contains(gone)) {
                speaker.removePeer(gone);
                configured.remove(gone);
                LOG.info("mesh peer removed", "peer", AddressText.of(gone));
            }
        }
        for (InetAddress node : wanted) {
            if (!configured.containsKey(node)) {
                addPeer(meshPeer(node), false);
            }
        }
    }

    /**
     * Only the node with the lower address of a pair connects; the other waits. When both connect, two
     * nodes that just lost their session can refuse each other's reconnects forever: each refusal sends the
     * refused side into its idle hold, during which it refuses the other's attempt in turn (seen when a
     * node's agent restarted, with equal timers on both sides the cycle never broke).
     */
    private PeerConfig meshPeer(InetAddress node) {
        InetAddress self = node instanceof Inet4Address ? options.nodeIpv4().orElse(null) : options.nodeIpv6().orElse(null);
        boolean passive = self != null && Arrays.compareUnsigned(self.getAddress(), node.getAddress()) > 0;
        PeerConfig.Builder peer = PeerConfig.builder(node, options.localAs()).port(options.port()).passive(passive);
        return withCrossFamilyNextHops(peer, node).build();
    }

    /** A session over one family announces the other family's pod CIDR with the node's address of that family. */
    private PeerConfig.Builder withCrossFamilyNextHops(PeerConfig.Builder peer, InetAddress remote) {
        if (remote instanceof Inet4Address) {
            options.nodeIpv6().ifPresent(peer::ipv6NextHop);
        } else {
            options.nodeIpv4().ifPresent(peer::ipv4NextHop);
        }
        return peer;
    }

    private void addPeer(PeerConfig config, boolean external) {
        if (external) {
            PeerConfig.Builder b = PeerConfig.builder(config.remoteAddress(), config.remoteAs()).port(config.port())
                    .passive(config.passive()).password(config.password()).routeReflectorClient(config.routeReflectorClient());
            config = withCrossFamilyNextHops(b, config.remoteAddress()).build();
            externalAddresses.add(config.remoteAddress());
        }
        speaker.addPeer(config);
        configured.put(config.remoteAddress(), config);
        LOG.info(external ? "external peer added" : "mesh peer added", "peer", AddressText.of(config.remoteAddress()),
                "as", config.remoteAs(), "md5", config.password() != null);
    }

    /**
     * Makes the LoadBalancer host routes this node originates exactly {@code addresses}, each as a /32 or
     * /128 with the node's address of its family as next hop, exported to the external peers only (see
     * {@link OwnRoutesExportPolicy}). Only the difference is announced or withdrawn. The routes live in
     * the speaker's Loc-RIB, so a session that resets gets them again when it is re-established, and a
     * route refresh re-sends them. Thread-safe: called on the Service thread, the speaker runs on its own
     * event loop. After {@link #close()} nothing happens (the agent is stopping).
     */
    public synchronized void setLoadBalancerAddresses(Set<InetAddress> addresses) {
        if (closed) {
            return;
        }
        Set<Prefix> wanted = new java.util.TreeSet<>();
        for (InetAddress address : addresses) {
            Prefix route = Prefix.of(address, address.getAddress().length * 8);
            if (nodeAddress(route.family()).isEmpty()) {
                if (warnedWithoutNextHop.add(route.family())) {
                    LOG.warn("LoadBalancer addresses of this family are not announced: the node has no address of it as next hop",
                            "address", AddressText.of(address));
                }
                continue;
            }
            if (podCidrs.contains(route)) {
                LOG.warn("LoadBalancer address is the node's pod CIDR; not announced twice", "address", AddressText.of(address));
                continue;
            }
            wanted.add(route);
        }
        if (wanted.equals(loadBalancerRoutes)) {
            return;
        }
        List<Prefix> added = wanted.stream().filter(p -> !loadBalancerRoutes.contains(p)).toList();
        List<Prefix> gone = loadBalancerRoutes.stream().filter(p -> !wanted.contains(p)).toList();
        Set<Prefix> both = new LinkedHashSet<>(loadBalancerRoutes);
        both.addAll(wanted);
        exportPolicy.setLoadBalancerRoutes(both);
        for (AddressFamily family : AddressFamily.values()) {
            List<Prefix> ofFamily = added.stream().filter(p -> p.family() == family).toList();
            if (!ofFamily.isEmpty()) {
                speaker.announce(ofFamily, nodeAddress(family).orElseThrow(), null);
            }
        }
        for (Prefix route : gone) {
            speaker.withdraw(route);
        }
        exportPolicy.setLoadBalancerRoutes(wanted);
        loadBalancerRoutes = Set.copyOf(wanted);
        LOG.info("LoadBalancer routes", "announced", added, "withdrawn", gone, "now", wanted.size());
    }

    /** Own routes are complete (see {@link #END_OF_RIB_HOLD}): End-of-RIB to the peers. Idempotent. */
    public void releaseEndOfRib() {
        if (!closed) {
            speaker.releaseEndOfRib();
        }
    }

    /** The LoadBalancer host routes this node originates now. */
    public Set<Prefix> loadBalancerRoutes() {
        return exportPolicy.loadBalancerRoutes();
    }

    /** The node's address of a family: next hop of what the node originates in it. */
    private java.util.Optional<InetAddress> nodeAddress(AddressFamily family) {
        return family == AddressFamily.IPV4 ? options.nodeIpv4() : options.nodeIpv6();
    }

    /**
     * Removes the adopted routes BGP did not confirm once every peer is up and quiet (their tables are in),
     * or at the latest after the graceful-restart time. Peers that never come up cannot hold the clean-up
     * back longer than that: their routes would have expired on their side too.
     */
    private void settleWhenTablesArrived() {
        Duration limit = options.gracefulRestart().isZero() ? Duration.ofSeconds(120) : options.gracefulRestart();
        long lastChanges = -1;
        long quietSince = System.nanoTime();
        while (!closed && !installer.settled()) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            long changes = installer.changeCount();
            if (changes != lastChanges) {
                lastChanges = changes;
                quietSince = System.nanoTime();
            }
            boolean allUp;
            try {
                List<PeerStatus> peers = speaker.peerStatus();
                allUp = !peers.isEmpty() && peers.stream().allMatch(p -> p.state() == SessionState.ESTABLISHED);
            } catch (IllegalStateException e) {
                return; // closed meanwhile
            }
            boolean quiet = System.nanoTime() - quietSince >= QUIET_BEFORE_SETTLE.toNanos();
            boolean expired = System.nanoTime() - startedNanos >= limit.toNanos();
            if ((allUp && quiet) || expired) {
                LOG.info("settling adopted BGP routes", "reason", expired ? "graceful-restart time over" : "all peers up and quiet");
                installer.settle();
                return;
            }
        }
    }

    public List<PeerStatus> peers() {
        return speaker.peerStatus();
    }

    /** The Loc-RIB's best routes. */
    public List<Route> routes() {
        return speaker.routes();
    }

    public KernelRouteInstaller installer() {
        return installer;
    }

    /** The node's pod CIDRs this speaker announces. */
    public List<Prefix> podCidrs() {
        return podCidrs;
    }

    /** Which configured neighbours are mesh nodes (the rest are external peers). */
    public synchronized boolean isMeshPeer(InetAddress address) {
        return configured.containsKey(address) && !externalAddresses.contains(address);
    }

    public long localAs() {
        return options.localAs();
    }

    /**
     * Stops for a restart (SIGTERM): sessions drop without NOTIFICATION so peers in graceful-restart
     * helper mode keep forwarding to us, and the learned routes stay in the kernel.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        settler.interrupt();
        speaker.shutdown(true);
        installer.close();
        socket.close();
        marker.write();
        LOG.info("BGP stopped for restart; routes kept", "installed", installer.installedCount());
    }
}
