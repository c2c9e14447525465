package dev.jute.inbox.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the API server's service registry does on create and update: allocates a ClusterIP from the
 * service CIDR and NodePorts from 30000-32767 unless the Service asks for specific ones, and rejects a
 * Service that asks for an address or port another Service holds. Thread-safe.
 */
final class ServiceAllocator {

    static final int NODE_PORT_MIN = 30000;
    static final int NODE_PORT_MAX = 32767;

    /** Why a Service was rejected; the API answers 422 with this message. */
    static final class Rejected extends Exception {
        Rejected(String message) {
            super(message);
        }
    }

    private final byte[] serviceNetwork;
    private final int hostBits;
    private final Map<String, String> clusterIpOwner = new HashMap<>();
    private final Map<Integer, String> nodePortOwner = new HashMap<>();
    private int nextIpOffset = 10;
    private int nextNodePort = NODE_PORT_MIN;

    /** @param serviceCidr an IPv4 CIDR such as 10.96.0.0/16 */
    ServiceAllocator(String serviceCidr) {
        int slash = serviceCidr.indexOf('/');
        this.serviceNetwork = InetAddress.ofLiteral(serviceCidr.substring(0, slash)).getAddress();
        this.hostBits = 32 - Integer.parseInt(serviceCidr.substring(slash + 1));
    }

    /**
     * Fills in spec.clusterIP(s) and nodePorts of {@code service} (a Service object) for {@code key}
     * ({@code namespace/name}), keeping what {@code key} already holds when the update leaves it out.
     */
    synchronized void allocate(String key, ObjectNode service) throws Rejected {
        ObjectNode spec = service.with("spec");
        String type = spec.path("type").asText("ClusterIP");
        if (spec.path("type").isMissingNode() || spec.path("type").isNull()) {
            spec.put("type", "ClusterIP");
        }
        String name = key.substring(key.indexOf('/') + 1);
        // Validate everything before taking anything, so a rejected request leaves no trace.
        String requestedIp = spec.path("clusterIP").asText("");
        String heldIp = ownedBy(clusterIpOwner, key);
        if (!requestedIp.isEmpty() && !requestedIp.equals("None")) {
            if (!inRange(requestedIp)) {
                throw new Rejected("Service \"" + name + "\" is invalid: spec.clusterIPs: Invalid value: \"" + requestedIp
                                   + "\": provided IP is not in the valid range");
            }
            String owner = clusterIpOwner.get(requestedIp);
            if (owner != null && !owner.equals(key)) {
                throw new Rejected("Service \"" + name + "\" is invalid: spec.clusterIPs: Invalid value: [\"" + requestedIp
                                   + "\"]: failed to allocate IP " + requestedIp + ": provided IP is already allocated");
            }
        }
        Set<Integer> heldPorts = new HashSet<>();
        nodePortOwner.forEach((port, owner) -> {
            if (owner.equals(key)) {
                heldPorts.add(port);
            }
        });
        boolean wantsNodePorts = type.equals("NodePort") || type.equals("LoadBalancer");
        List<Integer> requestedPorts = new ArrayList<>();
        JsonNode ports = spec.path("ports");
        for (int i = 0; i < ports.size(); i++) {
            int nodePort = ports.get(i).path("nodePort").asInt(0);
            if (nodePort != 0 && wantsNodePorts) {
                if (nodePort < NODE_PORT_MIN || nodePort > NODE_PORT_MAX) {
                    throw new Rejected("Service \"" + name + "\" is invalid: spec.ports[" + i + "].nodePort: Invalid value: "
                                       + nodePort + ": provided port is not in the valid range. The range of valid ports is "
                                       + NODE_PORT_MIN + "-" + NODE_PORT_MAX);
                }
                String owner = nodePortOwner.get(nodePort);
                if ((owner != null && !owner.equals(key)) || requestedPorts.contains(nodePort)) {
                    throw new Rejected("Service \"" + name + "\" is invalid: spec.ports[" + i + "].nodePort: Invalid value: "
                                       + nodePort + ": provided port is already allocated");
                }
                requestedPorts.add(nodePort);
            }
        }
        boolean wantsHealthCheck = type.equals("LoadBalancer") && "Local".equals(spec.path("externalTrafficPolicy").asText(""));
        int requestedHealthCheck = wantsHealthCheck ? spec.path("healthCheckNodePort").asInt(0) : 0;
        if (requestedHealthCheck != 0) {
            String owner = nodePortOwner.get(requestedHealthCheck);
            if ((owner != null && !owner.equals(key)) || requestedPorts.contains(requestedHealthCheck)) {
                throw new Rejected("Service \"" + name + "\" is invalid: spec.healthCheckNodePort: Invalid value: "
                                   + requestedHealthCheck + ": provided port is already allocated");
            }
            requestedPorts.add(requestedHealthCheck);
        }
        // Cluster IP: keep, take the requested one, or allocate.
        if (requestedIp.equals("None")) {
            release(clusterIpOwner, key);
        } else {
            String ip = !requestedIp.isEmpty() ? requestedIp : heldIp != null ? heldIp : nextFreeIp();
            if (heldIp != null && !heldIp.equals(ip)) {
                clusterIpOwner.remove(heldIp);
            }
            clusterIpOwner.put(ip, key);
            spec.put("clusterIP", ip);
            spec.putArray("clusterIPs").add(ip);
        }
        // Node ports: keep held ones for ports that did not name one, allocate the rest, free the unused.
        Set<Integer> stillHeld = new HashSet<>();
        List<Integer> reusable = new ArrayList<>(heldPorts);
        reusable.removeAll(requestedPorts);
        for (int i = 0; i < ports.size(); i++) {
            ObjectNode port = (ObjectNode) ports.get(i);
            if (!wantsNodePorts) {
                port.remove("nodePort");
                continue;
            }
            int nodePort = port.path("nodePort").asInt(0);
            if (nodePort == 0) {
                nodePort = reusable.isEmpty() ? nextFreeNodePort() : reusable.removeFirst();
                port.put("nodePort", nodePort);
            }
            nodePortOwner.put(nodePort, key);
            stillHeld.add(nodePort);
        }
        // externalTrafficPolicy Local LoadBalancers get a health check node port, as on a real API server.
        if (wantsHealthCheck) {
            int healthCheck = requestedHealthCheck != 0 ? requestedHealthCheck
                    : reusable.isEmpty() ? nextFreeNodePort() : reusable.removeFirst();
            spec.put("healthCheckNodePort", healthCheck);
            nodePortOwner.put(healthCheck, key);
            stillHeld.add(healthCheck);
        } else {
            spec.remove("healthCheckNodePort");
        }
        for (int port : heldPorts) {
            if (!stillHeld.contains(port)) {
                nodePortOwner.remove(port);
            }
        }
    }

    /** Frees what the Service {@code key} held. */
    synchronized void release(String key) {
        release(clusterIpOwner, key);
        nodePortOwner.values().removeIf(owner -> owner.equals(key));
    }

    private static <K> void release(Map<K, String> owners, String key) {
        owners.values().removeIf(owner -> owner.equals(key));
    }

    private static <K> K ownedBy(Map<K, String> owners, String key) {
        return owners.entrySet().stream().filter(e -> e.getValue().equals(key)).map(Map.Entry::getKey).findFirst().orElse(null);
    }

    private boolean inRange(String ip) {
        byte[] address;
        try {
            address = InetAddress.ofLiteral(ip).getAddress();
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (address.length != 4) {
            return false;
        }
        int a = toInt(address);
        int n = toInt(serviceNetwork);
        int mask = hostBits == 32 ? 0 : -1 << hostBits;
        return (a & mask) == (n & mask);
    }

    private String nextFreeIp() throws Rejected {
        int size = 1 << hostBits;
        for (int tried = 0; tried < size; tried++) {
            int offset = nextIpOffset;
            nextIpOffset = nextIpOffset + 1 >= size - 1 ? 1 : nextIpOffset + 1;
            String ip = fromInt(toInt(serviceNetwork) + offset);
            if (!clusterIpOwner.containsKey(ip)) {
                return ip;
            }
        }
        throw new Rejected("Internal error: failed to allocate a serviceIP: range is full");
    }

    private int nextFreeNodePort() throws Rejected {
        for (int tried = 0; tried <= NODE_PORT_MAX - NODE_PORT_MIN; tried++) {
            int port = nextNodePort;
            nextNodePort = port == NODE_PORT_MAX ? NODE_PORT_MIN : port + 1;
            if (!nodePortOwner.containsKey(port)) {
                return port;
            }
        }
        throw new Rejected("Internal error: failed to allocate a nodePort: range is full");
    }

    private static int toInt(byte[] a) {
        return (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff);
    }

    private static String fromInt(int v) {
        return (v >>> 24) + "." + (v >>> 16 & 0xff) + "." + (v >>> 8 & 0xff) + "." + (v & 0xff);
    }
}
