package dev.jute.inbox.cluster;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The node-IPAM part of the controller manager: gives every Node without pod CIDRs the next free /24 of
 * 10.244.0.0/16 and the /64 of fd00:10:244::/48 with the same index (dual stack), in {@code spec.podCIDRs}.
 */
final class NodeIpamController implements AutoCloseable {

    static final String CLUSTER_CIDR_V4 = "10.244.0.0/16";
    static final String CLUSTER_CIDR_V6 = "fd00:10:244::/48";

    private final KubernetesClient client;
    private final SharedIndexInformer<Node> informer;
    private final BitSet used = new BitSet(256);

    NodeIpamController(KubernetesClient client) {
        this.client = client;
        this.informer = client.nodes().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node node) {
                assign(node);
            }

            @Override
            public void onUpdate(Node oldNode, Node node) {
                assign(node);
            }

            @Override
            public void onDelete(Node node, boolean unknown) {
                index(node).ifPresent(used::clear);
            }
        });
    }

    static String ipv4Cidr(int index) {
        return "10.244." + index + ".0/24";
    }

    static String ipv6Cidr(int index) {
        return "fd00:10:244:" + Integer.toHexString(index) + "::/64";
    }

    /** Runs on the informer's single event thread, so allocation needs no lock. */
    private synchronized void assign(Node node) {
        var held = index(node);
        if (held.isPresent()) {
            used.set(held.getAsInt());
            return;
        }
        // Indices already given to nodes the informer has not delivered yet must not be reused.
        informer.getStore().list().forEach(n -> index(n).ifPresent(used::set));
        int index = used.nextClearBit(1);
        if (index > 255) {
            HarnessLog.warn("node-ipam", "no pod CIDR left for node " + node.getMetadata().getName());
            return;
        }
        used.set(index);
        List<String> cidrs = List.of(ipv4Cidr(index), ipv6Cidr(index));
        try {
            Node current = client.nodes().withName(node.getMetadata().getName()).get();
            if (current == null) {
                used.clear(index);
                return;
            }
            client.resource(new NodeBuilder(current).editOrNewSpec().withPodCIDR(cidrs.getFirst())
                    .withPodCIDRs(new ArrayList<>(cidrs)).endSpec().build()).update();
            HarnessLog.info("node-ipam", node.getMetadata().getName() + " gets " + cidrs);
        } catch (KubernetesClientException e) {
            used.clear(index);
            HarnessLog.warn("node-ipam", "cannot assign pod CIDRs to " + node.getMetadata().getName() + ": " + e.getMessage());
        }
    }

    private static java.util.OptionalInt index(Node node) {
        if (node.getSpec() == null || node.getSpec().getPodCIDRs() == null) {
            return java.util.OptionalInt.empty();
        }
        for (String cidr : node.getSpec().getPodCIDRs()) {
            if (cidr.startsWith("10.244.")) {
                return java.util.OptionalInt.of(Integer.parseInt(cidr.split("\\.")[2]));
            }
        }
        return java.util.OptionalInt.empty();
    }

    @Override
    public void close() {
        informer.close();
    }
}
