package dev.jute.dataplane.bpf;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One service frontend and how it balances (the {@code services} map: key and value). Jute keeps
 * one frontend per Kubernetes (Service, port, frontend address): the ClusterIP, each node address
 * of a NodePort, each LoadBalancer or external IP, each with its own {@code serviceId}.
 *
 * @param serviceId             non-zero, unique per frontend; keys its backend slots, affinity
 *                              entries and its reverse-NAT entry (replies appear to come from
 *                              {@code address:port})
 * @param address               the frontend address
 * @param port                  the frontend port
 * @param protocol              {@link #TCP}, {@link #UDP} or {@link #SCTP}
 * @param scope                 who looks it up
 * @param externalTrafficLocal  {@code externalTrafficPolicy: Local}: for {@link FrontendScope#EXTERNAL},
 *                              node-local backends only and the client address is kept (no SNAT)
 * @param internalTrafficLocal  {@code internalTrafficPolicy: Local}: for {@link FrontendScope#INTERNAL},
 *                              node-local backends only
 * @param affinityTimeoutSeconds {@code sessionAffinity: ClientIP} timeout; 0 means no affinity
 * @param rejectWithoutBackends with no eligible backend, refuse new connections at once (TCP RST,
 *                              ICMP port unreachable) instead of dropping them
 */
public record ServiceFrontend(int serviceId, InetAddress address, int port, int protocol, FrontendScope scope,
                              boolean externalTrafficLocal, boolean internalTrafficLocal, int affinityTimeoutSeconds,
                              boolean rejectWithoutBackends) {

    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int SCTP = 132;
    /** Kubernetes' upper bound for {@code sessionAffinityConfig.clientIP.timeoutSeconds}. */
    public static final int MAX_AFFINITY_TIMEOUT_SECONDS = 86_400;

    /** The frontend part of the key: what a packet is matched against. */
    public record Key(InetAddress address, int port, int protocol, FrontendScope scope) {
        public Key {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(scope, "scope");
            if (address instanceof Inet6Address v6 && v6.getScopeId() != 0) {
                throw new IllegalArgumentException("a frontend address has no scope: " + address.getHostAddress());
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("frontend port " + port + " is outside 1-65535");
            }
            if (protocol != TCP && protocol != UDP && protocol != SCTP) {
                throw new IllegalArgumentException("protocol " + protocol + " cannot be load-balanced (TCP, UDP, SCTP)");
            }
        }

        @Override
        public String toString() {
            String host = address instanceof Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
            return host + ":" + port + "/" + protocolName(protocol) + " (" + scope.name().toLowerCase() + ")";
        }
    }

    public ServiceFrontend {
        new Key(address, port, protocol, scope); // validates
        if (serviceId == 0) {
            throw new IllegalArgumentException("service id 0 is reserved");
        }
        if (affinityTimeoutSeconds < 0 || affinityTimeoutSeconds > MAX_AFFINITY_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("affinity timeout " + affinityTimeoutSeconds + " s is outside 0-"
                                               + MAX_AFFINITY_TIMEOUT_SECONDS);
        }
    }

    /** A frontend with the Kubernetes defaults: Cluster traffic policies, no affinity, reject without backends. */
    public static ServiceFrontend of(int serviceId, InetAddress address, int port, int protocol, FrontendScope scope) {
        return new ServiceFrontend(serviceId, address, port, protocol, scope, false, false, 0, true);
    }

    public Key key() {
        return new Key(address, port, protocol, scope);
    }

    public boolean hasAffinity() {
        return affinityTimeoutSeconds > 0;
    }

    /** Whether this frontend only balances to node-local backends (the traffic policy of its scope is Local). */
    public boolean localBackendsOnly() {
        return scope == FrontendScope.EXTERNAL ? externalTrafficLocal : internalTrafficLocal;
    }

    public ServiceFrontend withAffinity(int timeoutSeconds) {
        return new ServiceFrontend(serviceId, address, port, protocol, scope, externalTrafficLocal, internalTrafficLocal,
                timeoutSeconds, rejectWithoutBackends);
    }

    public ServiceFrontend withExternalTrafficLocal(boolean local) {
        return new ServiceFrontend(serviceId, address, port, protocol, scope, local, internalTrafficLocal,
                affinityTimeoutSeconds, rejectWithoutBackends);
    }

    public ServiceFrontend withInternalTrafficLocal(boolean local) {
        return new ServiceFrontend(serviceId, address, port, protocol, scope, externalTrafficLocal, local,
                affinityTimeoutSeconds, rejectWithoutBackends);
    }

    public ServiceFrontend withRejectWithoutBackends(boolean reject) {
        return new ServiceFrontend(serviceId, address, port, protocol, scope, externalTrafficLocal, internalTrafficLocal,
                affinityTimeoutSeconds, reject);
    }

    static String protocolName(int protocol) {
        return switch (protocol) {
            case TCP -> "tcp";
            case UDP -> "udp";
            case SCTP -> "sctp";
            default -> Integer.toString(protocol);
        };
    }
}
