package dev.jute.agent.service;

import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceFrontend;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Turns Services and EndpointSlices into the frontends one node programs, with kube-proxy's semantics:
 * <ul>
 *   <li>every ClusterIP (internal scope) of every port, TCP, UDP or SCTP;</li>
 *   <li>NodePorts on each node address and LoadBalancer ingress IPs / external IPs: external scope
 *       (the uplink) and internal scope (so pods reach them too, balanced cluster-wide, as kube-proxy
 *       short-circuits pod traffic to external addresses);</li>
 *   <li>backends are the ready endpoints; only when none is ready, the serving terminating ones
 *       (KEP-1669); the backend port is the EndpointSlice port of the same name and protocol, which
 *       is how a named targetPort is resolved;</li>
 *   <li>headless Services (clusterIP None) and ExternalName Services get nothing.</li>
 * </ul>
 * Pure: no I/O, so the whole semantics is unit-tested. A Service that cannot be compiled (bad address,
 * unknown protocol) is reported in {@link Result#problems} and skipped; it never stops the others.
 */
public final class ServiceCompiler {

    /** {@code sessionAffinityConfig.clientIP.timeoutSeconds} when not given (three hours). */
    public static final int DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    /** What the node should program, keyed by frontend; and what was skipped and why. */
    public record Result(Map<ServiceFrontend.Key, CompiledFrontend> frontends, List<String> problems) {
        public Result {
            frontends = Map.copyOf(frontends);
            problems = List.copyOf(problems);
        }
    }

    /**
     * @param nodeName      this node (endpoints with this {@code nodeName} are node-local)
     * @param nodeAddresses this node's addresses NodePorts listen on (its InternalIPs)
     */
    public record NodeContext(String nodeName, List<InetAddress> nodeAddresses) {
        public NodeContext {
            Objects.requireNonNull(nodeName, "nodeName");
            nodeAddresses = List.copyOf(nodeAddresses);
        }
    }

    private ServiceCompiler() {
    }

    public static Result compile(List<Service> services, List<EndpointSlice> slices, NodeContext node) {
        Map<String, List<EndpointSlice>> slicesByService = slicesByService(slices);
        List<Service> ordered = new ArrayList<>(services);
        // Deterministic: two Services claiming one frontend resolve the same way on every node and every run.
        ordered.sort(java.util.Comparator.comparing(ServiceCompiler::keyOf));
        List<CompiledService> compiled = new ArrayList<>(ordered.size());
        for (Service service : ordered) {
            compiled.add(compileOne(service, slicesByService.getOrDefault(keyOf(service), List.of()), node));
        }
        return assemble(compiled);
    }

    /**
     * One Service's share of a {@link Result}: its frontends, or why it was skipped.
     *
     * @param service the Service it was compiled from
     * @param slices  its EndpointSlices, ordered by name
     * @param problem why it produced nothing, or null
     */
    record CompiledService(String key, Service service, List<EndpointSlice> slices, List<CompiledFrontend> frontends,
                           String problem) {
    }

    /** The EndpointSlices of each Service ({@code namespace/name}, from the service-name label), each list ordered by name. */
    static Map<String, List<EndpointSlice>> slicesByService(List<EndpointSlice> slices) {
        Map<String, List<EndpointSlice>> byService = new HashMap<>();
        for (EndpointSlice slice : slices) {
            Map<String, String> labels = slice.getMetadata().getLabels();
            String owner = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
            if (owner != null) {
                byService.computeIfAbsent(slice.getMetadata().getNamespace() + "/" + owner, k -> new ArrayList<>(1)).add(slice);
            }
        }
        for (List<EndpointSlice> list : byService.values()) {
            if (list.size() > 1) {
                list.sort(java.util.Comparator.comparing(s -> String.valueOf(s.getMetadata().getName())));
            }
        }
        return byService;
    }

    static CompiledService compileOne(Service service, List<EndpointSlice> slices, NodeContext node) {
        String key = keyOf(service);
        try {
            return new CompiledService(key, service, slices, List.copyOf(compileService(service, slices, node)), null);
        } catch (IllegalArgumentException e) {
            return new CompiledService(key, service, slices, List.of(), key + ": " + e.getMessage());
        }
    }

    /**
     * The node's frontends from every Service's share, given in Service key order; of Services claiming one
     * frontend, {@link FrontendClaims} picks the holder. Problems come in Service key order.
     */
    static Result assemble(Iterable<CompiledService> ordered) {
        FrontendClaims claims = new FrontendClaims();
        for (CompiledService compiled : ordered) {
            claims.claim(compiled);
        }
        List<String> problems = new ArrayList<>();
        for (CompiledService compiled : ordered) {
            problems.addAll(claims.problemsOf(compiled));
        }
        return new Result(claims.holders(), problems);
    }

    static String keyOf(Service service) {
        return service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
    }

    static List<CompiledFrontend> compileService(Service service, List<EndpointSlice> slices, NodeContext node) {
        ServiceSpec spec = service.getSpec();
        if (spec == null || "ExternalName".equals(spec.getType()) || spec.getPorts() == null) {
            return List.of();
        }
        List<InetAddress> clusterIps = clusterIps(spec);
        if (clusterIps.isEmpty()) {
            return List.of(); // headless: DNS returns the pods, no NAT
        }
        String owner = keyOf(service);
        String type = spec.getType() == null ? "ClusterIP" : spec.getType();
        boolean externallyReachable = type.equals("NodePort") || type.equals("LoadBalancer");
        boolean externalLocal = externallyReachable && "Local".equals(spec.getExternalTrafficPolicy());
        boolean internalLocal = "Local".equals(spec.getInternalTrafficPolicy());
        int affinity = affinityTimeout(service);
        List<InetAddress> externalAddresses = new ArrayList<>();
        if (type.equals("LoadBalancer") && service.getStatus() != null && service.getStatus().getLoadBalancer() != null
            && service.getStatus().getLoadBalancer().getIngress() != null) {
            for (LoadBalancerIngress ingress : service.getStatus().getLoadBalancer().getIngress()) {
                if (ingress.getIp() != null && !ingress.getIp().isEmpty()) {
                    externalAddresses.add(ipLiteral(ingress.getIp()));
                }
            }
        }
        if (spec.getExternalIPs() != null) {
            for (String ip : spec.getExternalIPs()) {
                externalAddresses.add(ipLiteral(ip));
            }
        }
        List<CompiledFrontend> result = new ArrayList<>();
        for (ServicePort port : spec.getPorts()) {
            int protocol = protocol(port.getProtocol());
            String portName = port.getName() == null ? "" : port.getName();
            for (InetAddress clusterIp : clusterIps) {
                result.add(new CompiledFrontend(owner, portName,
                        new ServiceFrontend.Key(clusterIp, port.getPort(), protocol, FrontendScope.INTERNAL),
                        false, internalLocal, affinity, backends(slices, portName, port.getProtocol(), clusterIp)));
            }
            for (InetAddress external : sameFamilies(externalAddresses, clusterIps)) {
                List<ServiceBackend> backends = backends(slices, portName, port.getProtocol(), external);
                result.add(new CompiledFrontend(owner, portName,
                        new ServiceFrontend.Key(external, port.getPort(), protocol, FrontendScope.EXTERNAL),
                        externalLocal, false, affinity, backends));
                result.add(new CompiledFrontend(owner, portName,
                        new ServiceFrontend.Key(external, port.getPort(), protocol, FrontendScope.INTERNAL),
                        false, false, affinity, backends));
            }
            Integer nodePort = port.getNodePort();
            if (externallyReachable && nodePort != null && nodePort > 0) {
                for (InetAddress nodeAddress : sameFamilies(node.nodeAddresses(), clusterIps)) {
                    List<ServiceBackend> backends = backends(slices, portName, port.getProtocol(), nodeAddress);
                    result.add(new CompiledFrontend(owner, portName,
                            new ServiceFrontend.Key(nodeAddress, nodePort, protocol, FrontendScope.EXTERNAL),
                            externalLocal, false, affinity, backends));
                    result.add(new CompiledFrontend(owner, portName,
                            new ServiceFrontend.Key(nodeAddress, nodePort, protocol, FrontendScope.INTERNAL),
                            false, false, affinity, backends));
                }
            }
        }
        return markLocal(result, slices, node.nodeName());
    }

    /** An address literal from an API object; never resolved through DNS. */
    static InetAddress ipLiteral(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty IP address");
        }
        try {
            return InetAddress.ofLiteral(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IP address literal: '" + text + "'");
        }
    }

    /**
     * The addresses of the families the Service has (those of its ClusterIPs): like kube-proxy, a
     * SingleStack IPv4 Service gets no NodePort on the node's IPv6 address, nor an IPv6 external IP.
     */
    private static List<InetAddress> sameFamilies(List<InetAddress> addresses, List<InetAddress> clusterIps) {
        return addresses.stream()
                .filter(a -> clusterIps.stream().anyMatch(ip -> (ip instanceof Inet4Address) == (a instanceof Inet4Address)))
                .toList();
    }

    private static List<InetAddress> clusterIps(ServiceSpec spec) {
        List<String> literals = spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty() ? spec.getClusterIPs()
                : spec.getClusterIP() == null ? List.of() : List.of(spec.getClusterIP());
        List<InetAddress> addresses = new ArrayList<>();
        for (String literal : literals) {
            if (literal != null && !literal.isEmpty() && !literal.equals("None")) {
                addresses.add(ipLiteral(literal));
            }
        }
        return addresses;
    }

    static int affinityTimeout(Service service) {
        if (!"ClientIP".equals(service.getSpec().getSessionAffinity())) {
            return 0;
        }
        var config = service.getSpec().getSessionAffinityConfig();
        Integer timeout = config == null || config.getClientIP() == null ? null : config.getClientIP().getTimeoutSeconds();
        if (timeout == null || timeout <= 0) {
            return DEFAULT_AFFINITY_TIMEOUT_SECONDS;
        }
        if (timeout > ServiceFrontend.MAX_AFFINITY_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("sessionAffinityConfig.clientIP.timeoutSeconds " + timeout + " exceeds "
                                               + ServiceFrontend.MAX_AFFINITY_TIMEOUT_SECONDS);
        }
        return timeout;
    }

    static int protocol(String name) {
        return switch (name == null ? "TCP" : name) {
            case "TCP" -> ServiceFrontend.TCP;
            case "UDP" -> ServiceFrontend.UDP;
            case "SCTP" -> ServiceFrontend.SCTP;
            default -> throw new IllegalArgumentException("protocol " + name + " cannot be load-balanced");
        };
    }

    /**
     * The backends of one Service port for frontends of {@code family}'s address family: ready
     * endpoints, or, when none is ready, serving terminating ones. Each endpoint counts once (its
     * first address, as the EndpointSlice API says consumers should).
     */
    static List<ServiceBackend> backends(List<EndpointSlice> slices, String portName, String protocolName, InetAddress family) {
        String protocol = protocolName == null ? "TCP" : protocolName;
        Set<ServiceBackend> ready = new LinkedHashSet<>();
        Set<ServiceBackend> terminating = new LinkedHashSet<>();
        for (EndpointSlice slice : slices) {
            Integer port = slicePort(slice, portName, protocol);
            if (port == null || slice.getEndpoints() == null) {
                continue;
            }
            for (Endpoint endpoint : slice.getEndpoints()) {
                if (endpoint.getAddresses() == null || endpoint.getAddresses().isEmpty()) {
                    continue;
                }
                InetAddress address;
                try {
                    address = ipLiteral(endpoint.getAddresses().getFirst());
                } catch (IllegalArgumentException e) {
                    continue; // a bad endpoint address loses that endpoint, not the Service
                }
                if ((address instanceof Inet4Address) != (family instanceof Inet4Address)) {
                    continue;
                }
                ServiceBackend backend = new ServiceBackend(address, port, false);
                EndpointConditions conditions = endpoint.getConditions();
                // nil ready means unknown, which consumers treat as ready; nil serving follows ready.
                boolean isReady = conditions == null || conditions.getReady() == null || conditions.getReady();
                boolean serving = conditions == null || conditions.getServing() == null ? isReady : conditions.getServing();
                boolean isTerminating = conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
                if (isReady && !isTerminating) {
                    ready.add(backend);
                } else if (serving && isTerminating) {
                    terminating.add(backend);
                }
            }
        }
        List<ServiceBackend> chosen = new ArrayList<>(ready.isEmpty() ? terminating : ready);
        chosen.sort(java.util.Comparator.comparing((ServiceBackend b) -> b.address().getHostAddress()).thenComparingInt(ServiceBackend::port));
        return chosen;
    }

    private static Integer slicePort(EndpointSlice slice, String portName, String protocol) {
        if (slice.getPorts() == null) {
            return null;
        }
        for (EndpointPort port : slice.getPorts()) {
            String name = port.getName() == null ? "" : port.getName();
            String p = port.getProtocol() == null ? "TCP" : port.getProtocol();
            if (name.equals(portName) && p.equals(protocol) && port.getPort() != null && port.getPort() > 0) {
                return port.getPort();
            }
        }
        return null;
    }

    /** Flags the backends running on this node, from the EndpointSlices' {@code nodeName}. */
    private static List<CompiledFrontend> markLocal(List<CompiledFrontend> frontends, List<EndpointSlice> slices, String nodeName) {
        Set<InetAddress> local = new java.util.HashSet<>();
        for (EndpointSlice slice : slices) {
            for (Endpoint endpoint : slice.getEndpoints() == null ? List.<Endpoint>of() : slice.getEndpoints()) {
                if (nodeName.equals(endpoint.getNodeName()) && endpoint.getAddresses() != null) {
                    for (String address : endpoint.getAddresses()) {
                        try {
                            local.add(ipLiteral(address));
                        } catch (IllegalArgumentException ignored) {
                            // already skipped as a backend
                        }
                    }
                }
            }
        }
        List<CompiledFrontend> marked = new ArrayList<>(frontends.size());
        for (CompiledFrontend f : frontends) {
            List<ServiceBackend> backends = f.backends().stream()
                    .map(b -> new ServiceBackend(b.address(), b.port(), local.contains(b.address()))).toList();
            marked.add(new CompiledFrontend(f.service(), f.portName(), f.key(), f.externalTrafficLocal(),
                    f.internalTrafficLocal(), f.affinityTimeoutSeconds(), backends));
        }
        return marked;
    }
}
