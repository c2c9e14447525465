package dev.jute.agent.service;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hands out LoadBalancer IPs from one IPv4 pool, like MetalLB's or Cilium's LB IPAM: a Service of type
 * LoadBalancer without a {@code loadBalancerClass} (those belong to another implementation) keeps the
 * pool address it holds, gets the address it asks for in {@code spec.loadBalancerIP} when free, or the
 * lowest free one. The network and broadcast addresses of the pool are never handed out. Pure and
 * deterministic, so a new leader computes what the old one would have.
 */
public final class LoadBalancerIpam {

    private final int network;
    private final int prefixLength;
    private final String cidr;

    private LoadBalancerIpam(int network, int prefixLength, String cidr) {
        this.network = network;
        this.prefixLength = prefixLength;
        this.cidr = cidr;
    }

    /** @throws IllegalArgumentException unless {@code cidr} is an IPv4 prefix of length 8 to 32 */
    public static LoadBalancerIpam parse(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("--lb-pool must be an IPv4 CIDR such as 172.18.255.0/24, not '" + cidr + "'");
        }
        InetAddress address;
        int length;
        try {
            address = InetAddress.ofLiteral(cidr.substring(0, slash));
            length = Integer.parseInt(cidr.substring(slash + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--lb-pool must be an IPv4 CIDR such as 172.18.255.0/24, not '" + cidr + "'");
        }
        if (!(address instanceof Inet4Address) || length < 8 || length > 32) {
            throw new IllegalArgumentException("--lb-pool must be an IPv4 CIDR of length 8-32, not '" + cidr + "'");
        }
        int mask = length == 0 ? 0 : -1 << (32 - length);
        int base = toInt(address.getAddress());
        if ((base & ~mask) != 0) {
            throw new IllegalArgumentException("--lb-pool " + cidr + " has host bits set");
        }
        return new LoadBalancerIpam(base, length, cidr);
    }

    public String cidr() {
        return cidr;
    }

    public boolean contains(InetAddress address) {
        if (!(address instanceof Inet4Address)) {
            return false;
        }
        int mask = -1 << (32 - prefixLength);
        return (toInt(address.getAddress()) & mask) == network;
    }

    /** Whether this pool manages {@code service}'s LoadBalancer addresses. */
    public static boolean manages(Service service) {
        return service.getSpec() != null && "LoadBalancer".equals(service.getSpec().getType())
               && (service.getSpec().getLoadBalancerClass() == null || service.getSpec().getLoadBalancerClass().isEmpty());
    }

    /**
     * The ingress IP each managed Service should have (namespace/name → address); Services whose
     * status already says so need no write. A Service gets nothing when the pool is exhausted.
     */
    public Map<String, InetAddress> assign(List<Service> services) {
        List<Service> managed = new ArrayList<>(services.stream().filter(LoadBalancerIpam::manages).toList());
        managed.sort(Comparator.comparing(ServiceCompiler::keyOf));
        Map<String, InetAddress> assigned = new LinkedHashMap<>();
        Set<InetAddress> taken = new HashSet<>();
        // Pass 1: keep what is held (the first holder wins a duplicate).
        for (Service service : managed) {
            for (InetAddress held : ingressIps(service)) {
                if (contains(held) && taken.add(held)) {
                    assigned.put(ServiceCompiler.keyOf(service), held);
                    break;
                }
            }
        }
        // Pass 2: requested addresses, then the lowest free ones.
        for (Service service : managed) {
            String key = ServiceCompiler.keyOf(service);
            if (assigned.containsKey(key)) {
                continue;
            }
            String requested = service.getSpec().getLoadBalancerIP();
            if (requested != null && !requested.isEmpty()) {
                try {
                    InetAddress wanted = InetAddress.ofLiteral(requested);
                    if (contains(wanted) && usable(wanted) && taken.add(wanted)) {
                        assigned.put(key, wanted);
                    }
                } catch (IllegalArgumentException ignored) {
                    // an unusable request gets no address; the Service stays pending
                }
                continue;
            }
            InetAddress free = lowestFree(taken);
            if (free != null) {
                taken.add(free);
                assigned.put(key, free);
            }
        }
        return assigned;
    }

    static List<InetAddress> ingressIps(Service service) {
        List<InetAddress> ips = new ArrayList<>();
        if (service.getStatus() != null && service.getStatus().getLoadBalancer() != null
            && service.getStatus().getLoadBalancer().getIngress() != null) {
            for (LoadBalancerIngress ingress : service.getStatus().getLoadBalancer().getIngress()) {
                if (ingress.getIp() != null && !ingress.getIp().isEmpty()) {
                    try {
                        ips.add(InetAddress.ofLiteral(ingress.getIp()));
                    } catch (IllegalArgumentException ignored) {
                        // not ours to fix
                    }
                }
            }
        }
        return ips;
    }

    private boolean usable(InetAddress address) {
        if (prefixLength >= 31) {
            return true;
        }
        int host = toInt(address.getAddress()) & ~(-1 << (32 - prefixLength));
        return host != 0 && host != ~(-1 << (32 - prefixLength));
    }

    private InetAddress lowestFree(Set<InetAddress> taken) {
        long size = 1L << (32 - prefixLength);
        for (long offset = 0; offset < size; offset++) {
            InetAddress candidate = fromInt(network + (int) offset);
            if (usable(candidate) && !taken.contains(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static int toInt(byte[] a) {
        return (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff);
    }

    private static InetAddress fromInt(int v) {
        try {
            return InetAddress.getByAddress(new byte[]{(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
