package dev.jute.policy;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Seeded random clusters and policies that exercise every feature: all selector operators,
 * combined and separate peers, ipBlocks with except over pod and external ranges, numeric, ranged,
 * named and protocol-only ports, explicit and defaulted policyTypes.
 */
final class RandomClusters {

    static final List<Protocol> PROTOCOLS = List.of(Protocol.TCP, Protocol.UDP, Protocol.SCTP);
    private static final String[] APPS = {"web", "db", "cache"};
    private static final String[] TIERS = {"front", "back"};
    private static final String[] TEAMS = {"red", "blue"};

    private final SplittableRandom random;
    private final int namespaces;

    RandomClusters(long seed, int namespaces) {
        this.random = new SplittableRandom(seed);
        this.namespaces = namespaces;
    }

    String namespaceName(int index) {
        return "ns" + index;
    }

    Namespace namespace(int index) {
        Map<String, String> labels = new TreeMap<>();
        labels.put(Namespace.NAME_LABEL, namespaceName(index));
        if (random.nextBoolean()) {
            labels.put("team", pick(TEAMS));
        }
        if (random.nextInt(3) == 0) {
            labels.put("env", random.nextBoolean() ? "prod" : "dev");
        }
        return new Namespace(namespaceName(index), labels);
    }

    Map<String, String> podLabels() {
        Map<String, String> labels = new TreeMap<>();
        if (random.nextInt(5) > 0) {
            labels.put("app", pick(APPS));
        }
        if (random.nextBoolean()) {
            labels.put("tier", pick(TIERS));
        }
        return labels;
    }

    /** Pod {@code index} of namespace {@code ns}, address 10.0.ns.(index+1); .200 and up are left to external addresses. */
    Endpoint pod(int ns, int index) {
        if (ns >= 250 || index >= 199) {
            throw new IllegalArgumentException("the address plan holds 250 namespaces of 199 pods");
        }
        List<ContainerPort> ports = new ArrayList<>();
        if (random.nextInt(4) > 0) {
            ports.add(new ContainerPort("http", random.nextBoolean() ? 80 : 8080, Protocol.TCP));
        }
        if (random.nextBoolean()) {
            ports.add(new ContainerPort("dns", 53, Protocol.UDP));
        }
        if (random.nextInt(3) == 0) {
            ports.add(new ContainerPort("sig", 3868, Protocol.SCTP));
        }
        String ip = "10.0." + ns + "." + (index + 1);
        return new Endpoint(namespaceName(ns), "p" + index, podLabels(), List.of(IpCidr.parseAddress(ip)), ports);
    }

    /** An address that is sometimes inside the pod range, sometimes not. */
    ExternalAddress external() {
        return switch (random.nextInt(3)) {
            case 0 -> ExternalAddress.parse("192.168." + random.nextInt(4) + "." + random.nextInt(256));
            case 1 -> ExternalAddress.parse("10.0." + random.nextInt(8) + "." + (200 + random.nextInt(50)));
            default -> ExternalAddress.parse("8.8." + random.nextInt(4) + ".8");
        };
    }

    int port() {
        return switch (random.nextInt(6)) {
            case 0 -> 80;
            case 1 -> 8080;
            case 2 -> 53;
            case 3 -> 3868;
            case 4 -> 1000 + random.nextInt(1100);
            default -> 1 + random.nextInt(65535);
        };
    }

    Protocol protocol() {
        return PROTOCOLS.get(random.nextInt(random.nextInt(4) == 0 ? 3 : 2));
    }

    int nextInt(int bound) {
        return random.nextInt(bound);
    }

    NetworkPolicy policy(String name) {
        int ns = random.nextInt(namespaces);
        StringBuilder yaml = new StringBuilder();
        yaml.append("metadata: {name: ").append(name).append(", namespace: ").append(namespaceName(ns)).append("}\n");
        yaml.append("spec:\n");
        yaml.append("  podSelector: ").append(podSelector()).append('\n');
        boolean ingress = random.nextInt(4) > 0;
        boolean egress = random.nextBoolean();
        if (ingress) {
            yaml.append("  ingress: ").append(rules("from")).append('\n');
        }
        if (egress) {
            yaml.append("  egress: ").append(rules("to")).append('\n');
        }
        int types = random.nextInt(4);
        if (types == 1) {
            yaml.append("  policyTypes: [Ingress]\n");
        } else if (types == 2) {
            yaml.append("  policyTypes: [Egress]\n");
        } else if (types == 3) {
            yaml.append("  policyTypes: [Ingress, Egress]\n");
        }
        return Fixtures.policy(yaml.toString());
    }

    /** A rule list in flow style; sometimes empty ({@code []}) or the allow-all rule {@code [{}]}. */
    private String rules(String peersField) {
        int count = random.nextInt(4);
        if (count == 0) {
            return random.nextBoolean() ? "[]" : "[{}]";
        }
        List<String> rules = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int peers = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(2);
            List<String> peerTexts = new ArrayList<>();
            for (int p = 0; p < peers; p++) {
                peerTexts.add(peer());
            }
            rules.add("{" + peersField + ": [" + String.join(", ", peerTexts) + "], ports: [" + ports() + "]}");
        }
        return "[" + String.join(", ", rules) + "]";
    }

    private String peer() {
        return switch (random.nextInt(6)) {
            case 0 -> "{podSelector: " + podSelector() + "}";
            case 1 -> "{namespaceSelector: " + namespaceSelector() + "}";
            case 2, 3 -> "{podSelector: " + podSelector() + ", namespaceSelector: " + namespaceSelector() + "}";
            case 4 -> "{ipBlock: {cidr: 10.0.0.0/" + (14 + random.nextInt(9)) + ", except: [10.0."
                    + random.nextInt(4) + ".0/" + (24 + random.nextInt(7)) + "]}}";
            default -> random.nextBoolean() ? "{ipBlock: {cidr: 192.168.0.0/" + (16 + random.nextInt(8)) + "}}"
                    : "{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}";
        };
    }

    private String ports() {
        int count = random.nextInt(3);
        List<String> ports = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ports.add(switch (random.nextInt(6)) {
                case 0 -> "{port: 80}";
                case 1 -> "{port: http}";
                case 2 -> "{port: dns, protocol: UDP}";
                case 3 -> "{port: 1000, endPort: " + (1000 + random.nextInt(1100)) + "}";
                case 4 -> "{protocol: " + pick(new String[]{"TCP", "UDP", "SCTP"}) + "}";
                default -> "{port: 3868, protocol: SCTP}";
            });
        }
        return String.join(", ", ports);
    }

    private String podSelector() {
        return switch (random.nextInt(6)) {
            case 0 -> "{}";
            case 1, 2 -> "{matchLabels: {app: " + pick(APPS) + "}}";
            case 3 -> "{matchExpressions: [{key: tier, operator: " + (random.nextBoolean() ? "In" : "NotIn")
                    + ", values: [" + pick(TIERS) + "]}]}";
            case 4 -> "{matchExpressions: [{key: tier, operator: " + (random.nextBoolean() ? "Exists" : "DoesNotExist") + "}]}";
            default -> "{matchLabels: {app: " + pick(APPS) + ", tier: " + pick(TIERS) + "}}";
        };
    }

    private String namespaceSelector() {
        return switch (random.nextInt(4)) {
            case 0 -> "{}";
            case 1 -> "{matchLabels: {team: " + pick(TEAMS) + "}}";
            case 2 -> "{matchLabels: {kubernetes.io/metadata.name: " + namespaceName(random.nextInt(namespaces)) + "}}";
            default -> "{matchExpressions: [{key: env, operator: " + (random.nextBoolean() ? "NotIn" : "In") + ", values: [prod]}]}";
        };
    }

    private String pick(String[] values) {
        return values[random.nextInt(values.length)];
    }
}
