package dev.jute.bgp;

import dev.jute.bgp.fsm.PeerFsm;
import dev.jute.bgp.fsm.SpeakerSettings;
import dev.jute.bgp.fsm.Timers;
import dev.jute.bgp.message.ErrorCodes;
import dev.jute.bgp.rib.RouteAttributes;
import dev.jute.bgp.transport.ChannelConnection;
import dev.jute.bgp.transport.EventLoopTimers;
import dev.jute.bgp.transport.NettyConnector;
import dev.jute.bgp.transport.TransportFactory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Jute's BGP-4 speaker. All protocol state lives on one Netty event loop thread; the public methods
 * may be called from any thread and hand their work to that loop.
 *
 * <pre>{@code
 * BgpSpeaker speaker = BgpSpeaker.builder().localAs(64512).routerId(nodeIp)
 *         .listen(nodeIp, 179).routeListener(kernelRoutes).build().start();
 * speaker.addPeer(PeerConfig.builder(otherNode, 64512).build());
 * speaker.announce(Prefix.parse("10.244.1.0/24"), null, null);
 * }</pre>
 */
public final class BgpSpeaker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BgpSpeaker.class.getName());
    private static final long CALL_TIMEOUT_SECONDS = 30;

    private final SpeakerSettings settings;
    private final InetAddress listenAddress;
    private final int listenPort;
    private final TransportFactory transport;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Timers timers;
    private final RibManager rib;
    private final NettyConnector connector;
    private final Map<InetAddress, PeerContext> peers = new LinkedHashMap<>();
    private ServerChannel listener;
    private volatile boolean closed;

    private BgpSpeaker(Builder b) {
        this.settings = new SpeakerSettings(b.localAs, b.routerId, b.holdTimeSeconds, b.connectRetry, b.idleHold,
                b.gracefulRestartTime, b.restarting, b.families);
        this.listenAddress = b.listenAddress;
        this.listenPort = b.listenPort;
        this.transport = b.transport != null ? b.transport : TransportFactory.automatic();
        this.group = transport.newEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "jute-bgp");
            t.setDaemon(true);
            return t;
        });
        this.loop = group.next();
        this.timers = new EventLoopTimers(loop);
        this.rib = new RibManager(settings, b.clusterId != 0 ? b.clusterId : b.routerId, b.exportPolicy,
                b.routeListener, timers, loop::execute);
        this.connector = new NettyConnector(loop, transport, b.connectRetry);
        if (b.endOfRibHold != null) {
            // Before start(): no session can come up before this runs on the loop.
            loop.execute(() -> rib.holdEndOfRib(b.endOfRibHold));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds the listener (when a listen address was given). */
    public BgpSpeaker start() {
        if (listenAddress == null) {
            return this;
        }
        ServerBootstrap sb = new ServerBootstrap()
                .group(group, group)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept(ch);
                    }
                });
        try {
            listener = (ServerChannel) sb.bind(listenAddress, listenPort).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding BGP listener", e);
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot listen on " + listenAddress.getHostAddress() + ":" + listenPort
                    + ": " + e.getMessage(), e);
        }
        LOG.info(() -> "BGP speaker AS" + settings.localAs() + " listening on " + listener.localAddress()
                + " (" + transport.name() + ")");
        return this;
    }

    /** The bound listener port (useful with port 0), or -1 when not listening. */
    public int listenPort() {
        return listener == null ? -1 : ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public String transportName() {
        return transport.name();
    }

    /** Incoming connection: hand it to the peer configured for its source address, or refuse it. */
    private void accept(Channel ch) {
        InetAddress remote = ((InetSocketAddress) ch.remoteAddress()).getAddress();
        PeerContext ctx = peers.get(remote);
        ChannelConnection connection = ChannelConnection.attach(ch, false);
        if (ctx == null) {
            LOG.fine(() -> "refusing BGP connection from unconfigured " + remote.getHostAddress());
            ch.close();
            return;
        }
        connection.bind(ctx.fsm);
        ctx.fsm.inboundConnection(connection);
    }

    // ---------------------------------------------------------------- peers

    /** Adds and starts a neighbour. Fails if one with the same address exists or MD5 is unsupported. */
    public void addPeer(PeerConfig config) {
        Objects.requireNonNull(config, "config");
        if (config.password() != null && !transport.supportsMd5()) {
            throw new IllegalStateException("peer " + config.remoteAddress().getHostAddress()
                    + " needs TCP MD5 but the " + transport.name() + " transport cannot sign segments");
        }
        call(() -> {
            if (peers.containsKey(config.remoteAddress())) {
                throw new IllegalArgumentException("peer " + config.remoteAddress().getHostAddress() + " already exists");
            }
            PeerContext ctx = new PeerContext(config);
            ctx.fsm = new PeerFsm(settings, config, timers, connector, rib);
            peers.put(config.remoteAddress(), ctx);
            rib.register(ctx);
            updateListenerMd5();
            ctx.fsm.start();
            return null;
        });
    }

    /** Stops a neighbour with a Cease (peer de-configured) and drops its routes. Returns false if unknown. */
    public boolean removePeer(InetAddress address) {
        return call(() -> {
            PeerContext ctx = peers.remove(address);
            if (ctx == null) {
                return false;
            }
            ctx.fsm.stop(ErrorCodes.CEASE_PEER_DECONFIGURED, "peer removed");
            rib.unregister(ctx);
            updateListenerMd5();
            return true;
        });
    }

    private void updateListenerMd5() {
        if (listener == null || !transport.supportsMd5()) {
            return;
        }
        Map<InetAddress, byte[]> keys = new HashMap<>();
        for (PeerContext ctx : peers.values()) {
            if (ctx.config.password() != null) {
                keys.put(ctx.config.remoteAddress(), ctx.config.password().getBytes(StandardCharsets.US_ASCII));
            }
        }
        transport.setListenerMd5(listener, keys);
    }

    // ---------------------------------------------------------------- routes

    /**
     * Originates a route.
     *
     * @param nextHop next hop for iBGP peers, or {@code null} for ourselves (eBGP always gets ourselves)
     * @param attributes attributes to start from, or {@code null} for ORIGIN IGP and nothing else
     */
    public void announce(Prefix prefix, InetAddress nextHop, RouteAttributes attributes) {
        Objects.requireNonNull(prefix, "prefix");
        if (nextHop != null && (nextHop instanceof Inet4Address) != (prefix.family() == AddressFamily.IPV4)) {
            throw new IllegalArgumentException("next hop " + nextHop.getHostAddress() + " does not match " + prefix);
        }
        NextHop hop = nextHop == null ? null : NextHop.of(nextHop);
        RouteAttributes a = attributes == null ? RouteAttributes.local(hop) : attributes.withNextHop(hop);
        call(() -> {
            rib.announce(prefix, a);
            return null;
        });
    }

    /** Originates many routes sharing next hop and attributes in one hand-off to the event loop. */
    public void announce(java.util.Collection<Prefix> prefixes, InetAddress nextHop, RouteAttributes attributes) {
        List<Prefix> copy = List.copyOf(prefixes);
        NextHop hop = nextHop == null ? null : NextHop.of(nextHop);
        for (Prefix prefix : copy) {
            if (nextHop != null && (nextHop instanceof Inet4Address) != (prefix.family() == AddressFamily.IPV4)) {
                throw new IllegalArgumentException("next hop " + nextHop.getHostAddress() + " does not match " + prefix);
            }
        }
        RouteAttributes a = attributes == null ? RouteAttributes.local(hop) : attributes.withNextHop(hop);
        call(() -> {
            for (Prefix prefix : copy) {
                rib.announce(prefix, a);
            }
            return null;
        });
    }

    public void withdraw(Prefix prefix) {
        Objects.requireNonNull(prefix, "prefix");
        call(() -> {
            rib.withdraw(prefix);
            return null;
        });
    }

    /**
     * The own routes are complete (see {@link Builder#holdEndOfRib}): End-of-RIB goes to every session
     * that waited for it, after the updates announced before this call. Idempotent.
     */
    public void releaseEndOfRib() {
        call(() -> {
            rib.releaseEndOfRib();
            return null;
        });
    }

    /** Snapshot of every neighbour, in the order they were added. */
    public List<PeerStatus> peerStatus() {
        return call(() -> {
            List<PeerStatus> out = new ArrayList<>();
            for (PeerContext ctx : peers.values()) {
                out.add(rib.status(ctx));
            }
            return out;
        });
    }

    /** Snapshot of the Loc-RIB best routes, sorted by prefix. */
    public List<Route> routes() {
        return call(() -> {
            List<Route> out = new ArrayList<>(rib.locRib().size());
            rib.locRib().forEachBest((p, path) -> out.add(RibManager.toRoute(p, path)));
            out.sort((x, y) -> x.prefix().compareTo(y.prefix()));
            return out;
        });
    }

    public Route bestRoute(Prefix prefix) {
        return call(() -> {
            var path = rib.locRib().best(prefix);
            return path == null ? null : RibManager.toRoute(prefix, path);
        });
    }

    public int locRibSize() {
        return call(() -> rib.locRib().size());
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Administrative shutdown: Cease to every peer, which then drops our routes; the route listener
     * hears the removal of every learned route so installed kernel routes can be cleaned up.
     * Must not be called from a route listener (it waits for the event loop to stop).
     */
    @Override
    public void close() {
        shutdown(false);
    }

    /**
     * Stops the speaker. With {@code forRestart} the sessions are dropped without NOTIFICATION, so
     * peers that negotiated graceful restart keep forwarding to our routes until we are back; the
     * route listener hears nothing, so kernel routes stay in place for the restarted agent.
     */
    public void shutdown(boolean forRestart) {
        if (closed) {
            return;
        }
        try {
            call(() -> {
                if (forRestart) {
                    rib.muteListener();
                }
                for (PeerContext ctx : peers.values()) {
                    if (forRestart) {
                        ctx.fsm.abort("speaker restarting");
                    } else {
                        ctx.fsm.stop(ErrorCodes.CEASE_ADMINISTRATIVE_SHUTDOWN, "speaker shut down");
                    }
                }
                if (listener != null) {
                    listener.close();
                }
                return null;
            });
        } finally {
            closed = true;
            group.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private <T> T call(Callable<T> task) {
        if (closed) {
            throw new IllegalStateException("BGP speaker is closed");
        }
        if (loop.inEventLoop()) {
            try {
                return task.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return loop.submit(task).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("BGP event loop did not answer within " + CALL_TIMEOUT_SECONDS + "s", e);
        }
    }

    // ---------------------------------------------------------------- builder

    public static final class Builder {
        private long localAs = 64512;
        private long routerId;
        private InetAddress listenAddress;
        private int listenPort = 179;
        private int holdTimeSeconds = 90;
        private Duration connectRetry = Duration.ofSeconds(30);
        private Duration idleHold = Duration.ofSeconds(5);
        private Duration gracefulRestartTime = Duration.ofSeconds(120);
        private boolean restarting;
        private Duration endOfRibHold;
        private Set<AddressFamily> families = EnumSet.allOf(AddressFamily.class);
        private long clusterId;
        private ExportPolicy exportPolicy = ExportPolicy.ACCEPT_ALL;
        private RouteListener routeListener = RouteListener.NONE;
        private TransportFactory transport;

        private Builder() {
        }

        public Builder localAs(long as) {
            this.localAs = as;
            return this;
        }

        public Builder routerId(Inet4Address id) {
            byte[] b = id.getAddress();
            this.routerId = ((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) | (b[3] & 0xFFL);
            return this;
        }

        public Builder routerId(long id) {
            this.routerId = id;
            return this;
        }

        /** Listen for passive peers on this address and port (0 = ephemeral); without it no listener runs. */
        public Builder listen(InetAddress address, int port) {
            this.listenAddress = address;
            this.listenPort = port;
            return this;
        }

        public Builder holdTime(Duration holdTime) {
            this.holdTimeSeconds = (int) holdTime.toSeconds();
            return this;
        }

        public Builder connectRetry(Duration connectRetry) {
            this.connectRetry = connectRetry;
            return this;
        }

        public Builder idleHold(Duration idleHold) {
            this.idleHold = idleHold;
            return this;
        }

        /** Restart time to advertise, or {@code null} to not advertise graceful restart. */
        public Builder gracefulRestartTime(Duration restartTime) {
            this.gracefulRestartTime = restartTime;
            return this;
        }

        /** Announce that we just restarted with forwarding state kept (RFC 4724 R and F bits). */
        public Builder restarting(boolean restarting) {
            this.restarting = restarting;
            return this;
        }

        /**
         * Send End-of-RIB only once {@link BgpSpeaker#releaseEndOfRib()} says the own routes are complete,
         * or after {@code limit} at the latest (RFC 4724 §4.1). For owners whose routes arrive after start.
         */
        public Builder holdEndOfRib(Duration limit) {
            this.endOfRibHold = limit;
            return this;
        }

        public Builder families(Set<AddressFamily> families) {
            this.families = EnumSet.copyOf(families);
            return this;
        }

        /** Route-reflector cluster id; defaults to the router id. */
        public Builder clusterId(long clusterId) {
            this.clusterId = clusterId;
            return this;
        }

        public Builder exportPolicy(ExportPolicy policy) {
            this.exportPolicy = Objects.requireNonNull(policy);
            return this;
        }

        public Builder routeListener(RouteListener listener) {
            this.routeListener = Objects.requireNonNull(listener);
            return this;
        }

        public Builder transport(TransportFactory transport) {
            this.transport = transport;
            return this;
        }

        public BgpSpeaker build() {
            if (routerId == 0) {
                throw new IllegalStateException("router id is required");
            }
            return new BgpSpeaker(this);
        }
    }
}
