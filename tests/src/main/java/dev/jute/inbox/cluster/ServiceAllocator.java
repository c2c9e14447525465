package dev.jute.inbox.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the API server's service registry does on create and update: assigns IP families
 * ({@code spec.ipFamilyPolicy} SingleStack / PreferDualStack / RequireDualStack, {@code spec.ipFamilies}
 * ordered, the first being the primary) and allocates one ClusterIP per family from that family's
 * service CIDR, {@code spec.clusterIPs} in the order of {@code spec.ipFamilies} and {@code spec.clusterIP}
 * the primary; allocates NodePorts from 30000-32767 unless the Service asks for specific ones; and rejects
 * what the real API server rejects, with its messages: a family this cluster lacks, SingleStack with two
 * families or addresses, addresses of the wrong family or outside the range, an address or port another
 * Service holds. The logic follows the API server's {@code initIPFamilyFields} and
 * {@code ValidateServiceClusterIPsRelatedFields}. Thread-safe.
 */
final class ServiceAllocator {

    static final int NODE_PORT_MIN = 30000;
    static final int NODE_PORT_MAX = 32767;
    private static final List<String> POLICIES = List.of("PreferDualStack", "RequireDualStack", "SingleStack");

    /** A Service's settled ipFamilyPolicy and its ClusterIPs in family order (["None"] when headless). */
    private record Allocation(String policy, List<String> clusterIps) {
    }

    /** Why a Service was rejected; the API answers 422 with this message. */
    static final class Rejected extends Exception {
        Rejected(String message) {
            super(message);
        }
    }

    /** The service CIDRs by family; the first configured family is the default. */
    private final Map<ServiceIpRange.IpFamily, ServiceIpRange> ranges = new LinkedHashMap<>();
    private final ServiceIpRange.IpFamily defaultFamily;
    /** What each stored Service holds: an update that leaves these out keeps them. */
    private final Map<String, Allocation> allocations = new HashMap<>();
    private final Map<Integer, String> nodePortOwner = new HashMap<>();
    private int nextNodePort = NODE_PORT_MIN;

    /** @param serviceCidrs one or two CIDRs (one per family) such as 10.96.0.0/16 and fd00:10:96::/112; the first is the primary */
    ServiceAllocator(String... serviceCidrs) {
        if (serviceCidrs.length < 1 || serviceCidrs.length > 2) {
            throw new IllegalArgumentException("one or two service CIDRs, not " + serviceCidrs.length);
        }
        for (String cidr : serviceCidrs) {
            ServiceIpRange range = new ServiceIpRange(cidr);
            if (ranges.putIfAbsent(range.family(), range) != null) {
                throw new IllegalArgumentException("two service CIDRs of family " + range.family() + ": " + List.of(serviceCidrs));
            }
        }
        this.defaultFamily = ranges.keySet().iterator().next();
    }

    /**
     * Fills in spec.ipFamilyPolicy, ipFamilies, clusterIP(s) and nodePorts of {@code service} (a Service
     * object) for {@code key} ({@code namespace/name}), keeping what {@code key} already holds when the
     * update leaves it out. A rejected request changes nothing.
     */
    synchronized void allocate(String key, ObjectNode service) throws Rejected {
        ObjectNode spec = service.with("spec");
        if (spec.path("type").isMissingNode() || spec.path("type").isNull()) {
            spec.put("type", "ClusterIP");
        }
        String type = spec.path("type").asText("ClusterIP");
        String name = key.substring(key.indexOf('/') + 1);
        // Validate everything before taking anything, so a rejected request leaves no trace.
        Allocation allocation = type.equals("ExternalName") ? null : assignFamilies(key, name, spec);
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
        // Cluster IPs: the validated requests, held ones and new ones; what the Service no longer uses is freed.
        for (ServiceIpRange range : ranges.values()) {
            range.releaseAll(key);
        }
        allocations.remove(key);
        if (allocation != null) {
            for (String ip : allocation.clusterIps()) {
                if (!ip.equals("None")) {
                    ranges.get(ServiceIpRange.IpFamily.ofLiteral(ip).orElseThrow()).take(ip, key);
                }
            }
            allocations.put(key, allocation);
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
        for (ServiceIpRange range : ranges.values()) {
            range.releaseAll(key);
        }
        allocations.remove(key);
        nodePortOwner.values().removeIf(owner -> owner.equals(key));
    }

    /**
     * Settles spec.ipFamilyPolicy and spec.ipFamilies and chooses the ClusterIPs (one per family, in
     * family order; ["None"] for a headless Service), writing them into {@code spec}; takes nothing yet.
     */
    private Allocation assignFamilies(String key, String name, ObjectNode spec) throws Rejected {
        FieldErrors errors = new FieldErrors("Service", name);
        Allocation before = allocations.get(key);
        Map<ServiceIpRange.IpFamily, String> held = new LinkedHashMap<>();
        for (String ip : before == null ? List.<String>of() : before.clusterIps()) {
            ServiceIpRange.IpFamily.ofLiteral(ip).ifPresent(family -> held.put(family, ip));
        }
        // An update that leaves the addresses out keeps them (the registry's patchAllocatedValues).
        String clusterIp = spec.path("clusterIP").asText("");
        List<String> clusterIps = texts(spec.path("clusterIPs"));
        if (clusterIp.isEmpty() && clusterIps.isEmpty() && !held.isEmpty()) {
            clusterIps = new ArrayList<>(held.values());
            clusterIp = clusterIps.getFirst();
        } else if (clusterIps.isEmpty() && !clusterIp.isEmpty()) {
            clusterIps = List.of(clusterIp); // older clients send only clusterIP
        }
        List<String> families = texts(spec.path("ipFamilies"));
        String policy = spec.path("ipFamilyPolicy").isTextual() ? spec.path("ipFamilyPolicy").asText() : null;
        boolean headless = clusterIp.equals("None");
        boolean selectorless = spec.path("selector").isEmpty();
        if (policy == null) {
            policy = before != null ? before.policy() : headless && selectorless ? "RequireDualStack" : "SingleStack";
        }

        // ValidateServiceClusterIPsRelatedFields: each field on its own, then how they fit together.
        if (!clusterIp.isEmpty() && !clusterIps.getFirst().equals(clusterIp)) {
            errors.invalid("spec.clusterIPs", clusterIps, "first value must match `clusterIP`");
        } else if (clusterIp.isEmpty() && !clusterIps.isEmpty()) {
            errors.invalid("spec.clusterIPs", clusterIps, "must be empty when `clusterIP` is not specified");
        }
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < families.size(); i++) {
            String family = families.get(i);
            if (!family.equals("IPv4") && !family.equals("IPv6")) {
                errors.notSupported("spec.ipFamilies[" + i + "]", family, List.of("IPv4", "IPv6"));
            }
            if (seen.contains(family)) {
                errors.duplicate("spec.ipFamilies[" + i + "]", family);
            }
            seen.add(family);
        }
        if (!POLICIES.contains(policy)) {
            errors.notSupported("spec.ipFamilyPolicy", policy, POLICIES);
        }
        boolean badIps = false;
        for (int i = 0; i < clusterIps.size(); i++) {
            String ip = clusterIps.get(i);
            if (i == 0 && ip.equals("None")) {
                if (clusterIps.size() > 1) {
                    badIps = true;
                    errors.invalid("spec.clusterIPs", clusterIps, "'None' must be the first and only value");
                }
            } else if (ServiceIpRange.IpFamily.ofLiteral(ip).isEmpty()) {
                badIps = true;
                errors.invalid("spec.clusterIPs[" + i + "]", ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
            }
        }
        if (clusterIps.size() > 2) {
            errors.invalid("spec.clusterIPs", clusterIps, "may only hold up to 2 values");
        }
        if (!badIps) {
            if (clusterIps.size() == 2 && ServiceIpRange.IpFamily.ofLiteral(clusterIps.get(0)).equals(ServiceIpRange.IpFamily.ofLiteral(clusterIps.get(1)))) {
                errors.invalid("spec.clusterIPs", clusterIps, "may specify no more than one IP for each IP family");
            }
            for (int i = 0; !headless && i < Math.min(clusterIps.size(), families.size()); i++) {
                String actual = ServiceIpRange.IpFamily.ofLiteral(clusterIps.get(i)).map(Enum::name).orElse("");
                if (!actual.equals(families.get(i)) && (families.get(i).equals("IPv4") || families.get(i).equals("IPv6"))) {
                    errors.invalid("spec.clusterIPs[" + i + "]", clusterIps.get(i),
                            "expected an " + families.get(i) + " value as indicated by `ipFamilies[" + i + "]`");
                }
            }
        }
        errors.throwIfAny();

        // initIPFamilyFields: the policy against the families and addresses, then defaulting.
        if (policy.equals("SingleStack")) {
            if (clusterIps.size() == 2) {
                errors.invalid("spec.ipFamilyPolicy", policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified");
            }
            if (families.size() == 2) {
                errors.invalid("spec.ipFamilyPolicy", policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified");
            }
        }
        families = new ArrayList<>(families);
        for (int i = 0; i < clusterIps.size() && !clusterIps.get(i).equals("None"); i++) {
            ServiceIpRange.IpFamily family = ServiceIpRange.IpFamily.ofLiteral(clusterIps.get(i)).orElseThrow();
            if (i >= families.size()) {
                if (!ranges.containsKey(family)) {
                    errors.invalid("spec.clusterIPs[" + i + "]", clusterIps, family + " is not configured on this cluster");
                } else {
                    families.add(family.name());
                }
            }
        }
        errors.throwIfAny();
        if (headless && selectorless) {
            // Headless without selector: any families, nothing allocated.
            if (families.isEmpty()) {
                families.add(defaultFamily.name());
            }
            if (families.size() < 2 && !policy.equals("SingleStack")) {
                families.add(ServiceIpRange.IpFamily.valueOf(families.getFirst()).other().name());
            }
            return writeFamilies(spec, policy, families, List.of("None"));
        }
        if (policy.equals("RequireDualStack") && ranges.size() < 2) {
            errors.invalid("spec.ipFamilyPolicy", policy, "this cluster is not configured for dual-stack services");
        }
        for (int i = 0; i < families.size(); i++) {
            if (!ranges.containsKey(ServiceIpRange.IpFamily.valueOf(families.get(i)))) {
                errors.invalid("spec.ipFamilies[" + i + "]", families.get(i), "not configured on this cluster");
            }
        }
        errors.throwIfAny();
        if (families.isEmpty()) {
            families.add(defaultFamily.name());
        }
        if (!policy.equals("SingleStack") && families.size() == 1 && ranges.size() == 2) {
            families.add(ServiceIpRange.IpFamily.valueOf(families.getFirst()).other().name());
        }
        if (!held.isEmpty() && !headless && !clusterIps.isEmpty()
            && !ServiceIpRange.canonical(clusterIps.getFirst()).equals(held.values().iterator().next())) {
            errors.invalid("spec.clusterIPs[0]", clusterIps, "may not change once set");
        }
        if (headless) {
            return writeFamilies(spec, policy, families, List.of("None"));
        }

        // The addresses: a requested one must be in its family's range and free; the rest are kept or allocated.
        List<String> chosen = new ArrayList<>();
        for (int i = 0; i < families.size(); i++) {
            ServiceIpRange range = ranges.get(ServiceIpRange.IpFamily.valueOf(families.get(i)));
            if (i < clusterIps.size()) {
                String ip = ServiceIpRange.canonical(clusterIps.get(i));
                String owner = range.owner(ip);
                if (!range.contains(ip)) {
                    errors.invalid("spec.clusterIPs", clusterIps, "failed to allocate IP " + clusterIps.get(i)
                            + ": the provided IP (" + clusterIps.get(i) + ") is not in the valid range. The range of valid IPs is "
                            + range.cidr());
                } else if (owner != null && !owner.equals(key)) {
                    errors.invalid("spec.clusterIPs", clusterIps, "failed to allocate IP " + clusterIps.get(i)
                            + ": provided IP is already allocated");
                }
                chosen.add(ip);
            } else {
                String keep = held.get(range.family());
                chosen.add(keep != null ? keep : range.next());
            }
        }
        errors.throwIfAny();
        return writeFamilies(spec, policy, families, chosen);
    }

    private static Allocation writeFamilies(ObjectNode spec, String policy, List<String> families, List<String> clusterIps) {
        spec.put("ipFamilyPolicy", policy);
        ArrayNode familyArray = spec.putArray("ipFamilies");
        families.forEach(familyArray::add);
        spec.put("clusterIP", clusterIps.getFirst());
        ArrayNode ipArray = spec.putArray("clusterIPs");
        clusterIps.forEach(ipArray::add);
        return new Allocation(policy, List.copyOf(clusterIps));
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
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
}
