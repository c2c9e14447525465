package dev.jute.policy;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/** One entry of a rule's {@code from} or {@code to}: a set of pods, or a block of addresses. */
public sealed interface PeerSelector {

    /**
     * Whether the remote side of a connection is in this peer.
     *
     * @param policyNamespace the namespace of the policy holding the rule
     * @param namespaceLabels the labels of a namespace by name (empty when unknown)
     */
    boolean matches(Party remote, String policyNamespace, Function<String, Map<String, String>> namespaceLabels);

    /**
     * Pods chosen by selectors. {@code namespaceSelector == null} means "the policy's own namespace";
     * {@code podSelector == null} means "every pod of the selected namespaces". Both present means
     * both must hold (a single peer is an AND; separate peers are an OR).
     */
    record Pods(SelectorMatcher namespaceSelector, SelectorMatcher podSelector) implements PeerSelector {
        public Pods {
            if (namespaceSelector == null && podSelector == null) {
                throw new IllegalArgumentException("a pod peer needs a podSelector, a namespaceSelector or both");
            }
        }

        @Override
        public boolean matches(Party remote, String policyNamespace,
                               Function<String, Map<String, String>> namespaceLabels) {
            return remote instanceof Endpoint pod && matchesPod(pod, policyNamespace, namespaceLabels);
        }

        public boolean matchesPod(Endpoint pod, String policyNamespace,
                                  Function<String, Map<String, String>> namespaceLabels) {
            return matches(pod.namespace(), pod.labels(), namespaceLabels.apply(pod.namespace()), policyNamespace);
        }

        /** Selectors see only what an identity holds, so matching a pod and matching its identity agree. */
        public boolean matchesIdentity(IdentityKey key, String policyNamespace) {
            return matches(key.namespace(), key.podLabels(), key.namespaceLabels(), policyNamespace);
        }

        private boolean matches(String podNamespace, Map<String, String> podLabels,
                                Map<String, String> podNamespaceLabels, String policyNamespace) {
            boolean namespaceMatches = namespaceSelector == null
                    ? podNamespace.equals(policyNamespace)
                    : namespaceSelector.matches(podNamespaceLabels);
            return namespaceMatches && (podSelector == null || podSelector.matches(podLabels));
        }

        @Override
        public String toString() {
            String namespaces = namespaceSelector == null ? "own namespace" : "namespaces " + namespaceSelector;
            String pods = podSelector == null ? "all pods" : "pods " + podSelector;
            return pods + " in " + namespaces;
        }
    }

    /**
     * Addresses in {@code cidr} but in none of {@code except}. Matches pod addresses too: upstream
     * conformance expects an ipBlock holding a pod's IP to select that pod.
     */
    record IpBlock(IpCidr cidr, List<IpCidr> except) implements PeerSelector {
        public IpBlock {
            Objects.requireNonNull(cidr, "cidr");
            except = except == null ? List.of() : List.copyOf(except);
        }

        public boolean contains(InetAddress address) {
            if (!cidr.contains(address)) {
                return false;
            }
            for (IpCidr excluded : except) {
                if (excluded.contains(address)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public boolean matches(Party remote, String policyNamespace,
                               Function<String, Map<String, String>> namespaceLabels) {
            return switch (remote) {
                case ExternalAddress external -> contains(external.address());
                case Endpoint pod -> pod.ips().stream().anyMatch(this::contains);
            };
        }

        @Override
        public String toString() {
            return except.isEmpty() ? "ipBlock " + cidr
                    : "ipBlock " + cidr + " except " + except.stream().map(IpCidr::toString).collect(Collectors.joining(","));
        }
    }
}
