package dev.jute.policy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Walks a NetworkPolicy once, collecting every validation problem and, when there is none, the
 * translated {@link Policy}. Validation and translation share this walk so they cannot disagree
 * about what a field means.
 */
final class PolicyReader {

    record Result(Policy policy, List<ValidationProblem> problems) {
    }

    private final List<ValidationProblem> problems = new ArrayList<>();

    private PolicyReader() {
    }

    static Result read(NetworkPolicy networkPolicy) {
        PolicyReader reader = new PolicyReader();
        Policy policy = reader.readPolicy(networkPolicy);
        return reader.problems.isEmpty() ? new Result(policy, List.of()) : new Result(null, List.copyOf(reader.problems));
    }

    static String describe(NetworkPolicy networkPolicy) {
        if (networkPolicy == null || networkPolicy.getMetadata() == null) {
            return "<unnamed>";
        }
        return networkPolicy.getMetadata().getNamespace() + "/" + networkPolicy.getMetadata().getName();
    }

    private void problem(String field, String message) {
        problems.add(new ValidationProblem(field, message));
    }

    private Policy readPolicy(NetworkPolicy networkPolicy) {
        if (networkPolicy == null) {
            problem("", "policy must not be null");
            return null;
        }
        String name = networkPolicy.getMetadata() == null ? null : networkPolicy.getMetadata().getName();
        String namespace = networkPolicy.getMetadata() == null ? null : networkPolicy.getMetadata().getNamespace();
        if (name == null || name.isBlank()) {
            problem("metadata.name", "required");
        }
        if (namespace == null || namespace.isBlank()) {
            problem("metadata.namespace", "required");
        }
        NetworkPolicySpec spec = networkPolicy.getSpec();
        if (spec == null) {
            problem("spec", "required");
            return null;
        }
        SelectorMatcher podSelector = selector(spec.getPodSelector(), "spec.podSelector");

        List<PolicyRule> ingress = new ArrayList<>();
        List<NetworkPolicyIngressRule> ingressRules = listOrEmpty(spec.getIngress());
        for (int i = 0; i < ingressRules.size(); i++) {
            String path = "spec.ingress[" + i + "]";
            NetworkPolicyIngressRule rule = ingressRules.get(i);
            // A null element is what `ingress: [null]` deserializes to; the server reads it as {}.
            ingress.add(rule == null ? PolicyRule.ALLOW_ALL
                    : rule(rule.getFrom(), path + ".from", rule.getPorts(), path + ".ports"));
        }
        List<PolicyRule> egress = new ArrayList<>();
        List<NetworkPolicyEgressRule> egressRules = listOrEmpty(spec.getEgress());
        for (int i = 0; i < egressRules.size(); i++) {
            String path = "spec.egress[" + i + "]";
            NetworkPolicyEgressRule rule = egressRules.get(i);
            egress.add(rule == null ? PolicyRule.ALLOW_ALL
                    : rule(rule.getTo(), path + ".to", rule.getPorts(), path + ".ports"));
        }
        Set<Direction> policyTypes = policyTypes(spec.getPolicyTypes(), !egressRules.isEmpty());
        if (!problems.isEmpty()) {
            return null;
        }
        return new Policy(new ObjectRef(namespace, name), podSelector, policyTypes, ingress, egress);
    }

    /**
     * The API server's defaulting: without explicit policyTypes a policy always isolates for
     * Ingress, and for Egress only when it has egress rules.
     */
    private Set<Direction> policyTypes(List<String> declared, boolean hasEgressRules) {
        if (declared == null || declared.isEmpty()) {
            return hasEgressRules ? EnumSet.of(Direction.INGRESS, Direction.EGRESS) : EnumSet.of(Direction.INGRESS);
        }
        Set<Direction> types = EnumSet.noneOf(Direction.class);
        for (int i = 0; i < declared.size(); i++) {
            String value = declared.get(i);
            Optional<Direction> direction = Optional.empty();
            for (Direction candidate : Direction.values()) {
                if (candidate.apiName().equals(value)) {
                    direction = Optional.of(candidate);
                }
            }
            if (direction.isEmpty()) {
                problem("spec.policyTypes[" + i + "]", "unsupported value '" + value + "': expected Ingress or Egress");
            } else if (!types.add(direction.get())) {
                problem("spec.policyTypes[" + i + "]", "duplicate value '" + value + "'");
            }
        }
        return types;
    }

    private PolicyRule rule(List<NetworkPolicyPeer> peers, String peersPath, List<NetworkPolicyPort> ports,
                            String portsPath) {
        List<PeerSelector> peerSelectors = new ArrayList<>();
        List<NetworkPolicyPeer> peerList = listOrEmpty(peers);
        for (int i = 0; i < peerList.size(); i++) {
            peer(peerList.get(i), peersPath + "[" + i + "]").ifPresent(peerSelectors::add);
        }
        List<PortMatch> portMatches = new ArrayList<>();
        List<NetworkPolicyPort> portList = listOrEmpty(ports);
        for (int i = 0; i < portList.size(); i++) {
            port(portList.get(i), portsPath + "[" + i + "]").ifPresent(portMatches::add);
        }
        return new PolicyRule(peerSelectors, portMatches);
    }

    private Optional<PeerSelector> peer(NetworkPolicyPeer peer, String path) {
        if (peer == null) {
            problem(path, "must specify a peer");
            return Optional.empty();
        }
        boolean hasSelector = peer.getPodSelector() != null || peer.getNamespaceSelector() != null;
        if (peer.getIpBlock() != null && hasSelector) {
            problem(path, "may not specify ipBlock together with podSelector or namespaceSelector");
            return Optional.empty();
        }
        if (peer.getIpBlock() != null) {
            return ipBlock(peer.getIpBlock(), path + ".ipBlock");
        }
        if (!hasSelector) {
            problem(path, "must specify a peer: podSelector, namespaceSelector or ipBlock");
            return Optional.empty();
        }
        SelectorMatcher namespaceSelector = peer.getNamespaceSelector() == null ? null
                : selector(peer.getNamespaceSelector(), path + ".namespaceSelector");
        SelectorMatcher podSelector = peer.getPodSelector() == null ? null
                : selector(peer.getPodSelector(), path + ".podSelector");
        if ((peer.getNamespaceSelector() != null && namespaceSelector == null)
                || (peer.getPodSelector() != null && podSelector == null)) {
            return Optional.empty();
        }
        return Optional.of(new PeerSelector.Pods(namespaceSelector, podSelector));
    }

    private Optional<PeerSelector> ipBlock(IPBlock block, String path) {
        IpCidr cidr = cidr(block.getCidr(), path + ".cidr");
        List<IpCidr> except = new ArrayList<>();
        List<String> exceptTexts = listOrEmpty(block.getExcept());
        for (int i = 0; i < exceptTexts.size(); i++) {
            String exceptPath = path + ".except[" + i + "]";
            IpCidr excluded = cidr(exceptTexts.get(i), exceptPath);
            if (excluded == null || cidr == null) {
                continue;
            }
            if (excluded.isIpv4() != cidr.isIpv4()) {
                problem(exceptPath, "'" + exceptTexts.get(i) + "' is not of the same address family as cidr " + cidr);
            } else if (!cidr.contains(excluded) || excluded.prefixLength() == cidr.prefixLength()) {
                problem(exceptPath, "'" + exceptTexts.get(i) + "' must be a strict subset of cidr " + cidr);
            } else {
                except.add(excluded);
            }
        }
        return cidr == null || except.size() != exceptTexts.size() ? Optional.empty()
                : Optional.of(new PeerSelector.IpBlock(cidr, except));
    }

    private IpCidr cidr(String text, String path) {
        if (text == null || text.isEmpty()) {
            problem(path, "required");
            return null;
        }
        try {
            return IpCidr.parse(text);
        } catch (IllegalArgumentException e) {
            problem(path, "invalid CIDR: " + e.getMessage());
            return null;
        }
    }

    private Optional<PortMatch> port(NetworkPolicyPort port, String path) {
        if (port == null) {
            // `ports: [null]` is `ports: [{}]`: protocol defaults to TCP, every port.
            return Optional.of(new PortMatch.AllPorts(Protocol.TCP));
        }
        Protocol protocol = Protocol.TCP;
        if (port.getProtocol() != null) {
            Optional<Protocol> parsed = Protocol.parse(port.getProtocol());
            if (parsed.isEmpty()) {
                problem(path + ".protocol", "unsupported value '" + port.getProtocol() + "': expected TCP, UDP or SCTP");
                return Optional.empty();
            }
            protocol = parsed.get();
        }
        IntOrString portValue = port.getPort();
        Integer endPort = port.getEndPort();
        if (portValue == null || (portValue.getIntVal() == null && portValue.getStrVal() == null)) {
            if (endPort != null) {
                problem(path + ".endPort", "may not be specified when port is not specified");
                return Optional.empty();
            }
            return Optional.of(new PortMatch.AllPorts(protocol));
        }
        if (portValue.getStrVal() != null) {
            Optional<String> nameProblem = LabelSyntax.checkPortName(portValue.getStrVal());
            nameProblem.ifPresent(m -> problem(path + ".port", m));
            if (endPort != null) {
                problem(path + ".endPort", "may not be specified when port is a named port ('"
                        + portValue.getStrVal() + "')");
                return Optional.empty();
            }
            return nameProblem.isPresent() ? Optional.empty()
                    : Optional.of(new PortMatch.Named(protocol, portValue.getStrVal()));
        }
        int number = portValue.getIntVal();
        if (number < 1 || number > PortRange.MAX_PORT) {
            problem(path + ".port", "port " + number + " must be between 1 and 65535");
            return Optional.empty();
        }
        if (endPort == null) {
            return Optional.of(new PortMatch.Numbers(protocol, PortRange.single(number)));
        }
        if (endPort < number) {
            problem(path + ".endPort", "endPort " + endPort + " must be greater than or equal to port " + number);
            return Optional.empty();
        }
        if (endPort > PortRange.MAX_PORT) {
            problem(path + ".endPort", "endPort " + endPort + " must be between 1 and 65535");
            return Optional.empty();
        }
        return Optional.of(new PortMatch.Numbers(protocol, new PortRange(number, endPort)));
    }

    private SelectorMatcher selector(LabelSelector selector, String path) {
        List<ValidationProblem> selectorProblems = SelectorMatcher.validate(selector, path);
        if (!selectorProblems.isEmpty()) {
            problems.addAll(selectorProblems);
            return null;
        }
        return SelectorMatcher.of(selector);
    }

    private static <T> List<T> listOrEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
