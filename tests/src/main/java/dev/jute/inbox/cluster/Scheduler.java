package dev.jute.inbox.cluster;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.Comparator;
import java.util.List;

/**
 * A minimal kube-scheduler: binds every pending Pod without {@code spec.nodeName} to the next node in
 * round-robin order among nodes whose network is ready (they have pod CIDRs). Pods that name a node
 * are left to that node's kubelet.
 */
final class Scheduler implements AutoCloseable {

    private final KubernetesClient client;
    private final SharedIndexInformer<Node> nodes;
    private final SharedIndexInformer<Pod> pods;
    private int next;

    Scheduler(KubernetesClient client) {
        this.client = client;
        this.nodes = client.nodes().inform();
        this.pods = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                schedule(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod pod) {
                schedule(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
            }
        });
        // A node becoming ready lets pods pending for lack of nodes be scheduled.
        nodes.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node node) {
                pods.getStore().list().forEach(Scheduler.this::schedule);
            }

            @Override
            public void onUpdate(Node oldNode, Node node) {
                pods.getStore().list().forEach(Scheduler.this::schedule);
            }

            @Override
            public void onDelete(Node node, boolean unknown) {
            }
        });
    }

    private synchronized void schedule(Pod pod) {
        if (pod.getSpec() == null || pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty()
            || pod.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        List<String> ready = nodes.getStore().list().stream()
                .filter(n -> n.getSpec() != null && n.getSpec().getPodCIDRs() != null && !n.getSpec().getPodCIDRs().isEmpty())
                .map(n -> n.getMetadata().getName()).sorted(Comparator.naturalOrder()).toList();
        if (ready.isEmpty()) {
            return;
        }
        String node = ready.get(next++ % ready.size());
        try {
            Pod current = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
            if (current == null || current.getSpec().getNodeName() != null && !current.getSpec().getNodeName().isEmpty()) {
                return;
            }
            client.resource(new PodBuilder(current).editSpec().withNodeName(node).endSpec().build()).update();
            HarnessLog.info("scheduler", pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName() + " -> " + node);
        } catch (KubernetesClientException e) {
            // A conflict means someone changed the pod; its update event brings it back here.
            HarnessLog.info("scheduler", "cannot bind " + pod.getMetadata().getName() + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        pods.close();
        nodes.close();
    }
}
