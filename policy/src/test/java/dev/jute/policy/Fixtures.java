package dev.jute.policy;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test helpers: policies from YAML, pods and namespaces in one line. */
final class Fixtures {

    private Fixtures() {
    }

    /** A NetworkPolicy from YAML; apiVersion and kind are added when missing. */
    static NetworkPolicy policy(String yaml) {
        String full = yaml.contains("kind:") ? yaml : "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" + yaml;
        return Serialization.unmarshal(full, NetworkPolicy.class);
    }

    /** {@code labels("a=1", "b=2")}. */
    static Map<String, String> labels(String... pairs) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            labels.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return labels;
    }

    /** {@code pod("x/a", "10.0.1.1", labels("pod=a"), "http:80/TCP", "dns:53/UDP")}. */
    static Endpoint pod(String ref, String ip, Map<String, String> labels, String... ports) {
        ObjectRef podRef = ObjectRef.parse(ref);
        List<ContainerPort> containerPorts = new ArrayList<>();
        for (String port : ports) {
            int colon = port.indexOf(':');
            int slash = port.indexOf('/');
            containerPorts.add(new ContainerPort(colon < 0 ? null : port.substring(0, colon),
                    Integer.parseInt(port.substring(colon + 1, slash)),
                    Protocol.parse(port.substring(slash + 1)).orElseThrow()));
        }
        return new Endpoint(podRef.namespace(), podRef.name(), labels, List.of(IpCidr.parseAddress(ip)), containerPorts);
    }

    static Namespace namespace(String name, String... extraLabels) {
        Map<String, String> labels = labels(extraLabels);
        labels.put(Namespace.NAME_LABEL, name);
        return new Namespace(name, labels);
    }
}
