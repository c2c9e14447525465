package dev.jute.inbox.cluster;

import dev.jute.cni.Json;
import dev.jute.inbox.CniPlugin;
import dev.jute.inbox.Command;
import dev.jute.inbox.JuteArtifacts;
import dev.jute.inbox.Netns;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A minimal kubelet for one node: for every Pod bound to the node it creates the pod's network
 * namespace, runs the real {@code jute-cni} executable exactly as a container runtime does (ADD with
 * K8S_POD_NAMESPACE / K8S_POD_NAME in CNI_ARGS; DEL when the Pod is deleted), starts the pod's servers
 * on its declared container ports, and writes the pod IPs and the Ready condition into the Pod status.
 * The steps of one pod run in order (create, then delete); different pods proceed in parallel.
 */
final class Kubelet implements AutoCloseable {

    private static final String IFNAME = "eth0";

    /** A pod this kubelet runs. */
    record RunningPod(String namespace, String name, String uid, Netns netns, List<String> ips, PodServers servers) {
    }

    private final String node;
    private final String nodeIp;
    private final ClusterNames names;
    private final KubernetesClient client;
    private final CniPlugin cni;
    private final String cniConfig;
    private final ExecutorService workers;
    private final Map<String, CompletableFuture<RunningPod>> pods = new ConcurrentHashMap<>();
    private final SharedIndexInformer<Pod> informer;

    Kubelet(String node, String nodeIp, Netns nodeNetns, Path agentSocket, ClusterNames names, KubernetesClient client) {
        this.node = node;
        this.nodeIp = nodeIp;
        this.names = names;
        this.client = client;
        this.cni = new CniPlugin(JuteArtifacts.cniLauncher(), List.of(JuteArtifacts.cniDistribution().toString()), nodeNetns);
        this.cniConfig = """
                {"cniVersion":"1.1.0","name":"jute","type":"jute-cni","agentSocket":"%s"}""".formatted(agentSocket);
        // Platform threads made here, in the harness's namespace; they only run commands and API calls.
        this.workers = Executors.newFixedThreadPool(4, Thread.ofPlatform().name("kubelet-" + node + "-", 0).daemon().factory());
        // The mock API ignores field selectors on spec.nodeName, so the kubelet filters itself.
        this.informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                maybeStart(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod pod) {
                maybeStart(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
                stop(pod.getMetadata().getUid());
            }
        });
    }

    private void maybeStart(Pod pod) {
        if (!node.equals(pod.getSpec().getNodeName()) || pod.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        pods.computeIfAbsent(pod.getMetadata().getUid(), uid -> CompletableFuture.supplyAsync(() -> start(pod), workers));
    }

    private RunningPod start(Pod pod) {
        String namespace = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        String uid = pod.getMetadata().getUid();
        Netns netns = Netns.create(names.podNetns(namespace, name));
        PodServers servers = null;
        try {
            Command.Result add = cni.invoke(CniPlugin.Invocation.add(containerId(uid), netns.path(), IFNAME)
                    .withArgs("IgnoreUnknown=1;K8S_POD_NAMESPACE=" + namespace + ";K8S_POD_NAME=" + name
                              + ";K8S_POD_INFRA_CONTAINER_ID=" + containerId(uid) + ";K8S_POD_UID=" + uid), cniConfig);
            if (!add.ok()) {
                throw new IllegalStateException("CNI ADD failed: " + add.stdout().strip() + " " + add.stderr().strip());
            }
            List<String> ips = addresses(add.stdout());
            servers = PodServers.start(netns.path(), namespace + "/" + name, ports(pod));
            servers.skipped().forEach(s -> HarnessLog.info("kubelet", namespace + "/" + name + ": not serving " + s));
            writeStatus(pod, ips);
            HarnessLog.info("kubelet-" + node, namespace + "/" + name + " running at " + ips);
            return new RunningPod(namespace, name, uid, netns, ips, servers);
        } catch (Exception e) {
            HarnessLog.warn("kubelet-" + node, "cannot start " + namespace + "/" + name + ": " + e.getMessage());
            if (servers != null) {
                servers.close();
            }
            cni.invoke(CniPlugin.Invocation.del(containerId(uid), netns.path(), IFNAME), cniConfig);
            netns.delete();
            throw new IllegalStateException(e);
        }
    }

    private CompletableFuture<Void> stop(String uid) {
        CompletableFuture<RunningPod> running = pods.remove(uid);
        if (running == null) {
            return CompletableFuture.completedFuture(null);
        }
        return running.thenAcceptAsync(pod -> {
            pod.servers().close();
            Command.Result del = cni.invoke(CniPlugin.Invocation.del(containerId(uid), pod.netns().path(), IFNAME), cniConfig);
            if (!del.ok()) {
                HarnessLog.warn("kubelet-" + node, "CNI DEL of " + pod.name() + " failed: " + del.stdout().strip());
            }
            pod.netns().delete();
            HarnessLog.info("kubelet-" + node, pod.namespace() + "/" + pod.name() + " removed");
        }, workers).exceptionally(failure -> null);
    }

    /** The "container runtime's" sandbox ID: 64 hex digits like containerd's, derived from the pod UID. */
    private static String containerId(String uid) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(uid.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static List<PodServers.Port> ports(Pod pod) {
        List<PodServers.Port> ports = new ArrayList<>();
        for (Container container : pod.getSpec().getContainers()) {
            for (ContainerPort port : container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
                ports.add(new PodServers.Port(port.getContainerPort(), port.getProtocol() == null ? "TCP" : port.getProtocol(),
                        port.getName() != null && port.getName().startsWith(PodServers.ECHO_PEER_PREFIX)));
            }
        }
        return ports;
    }

    private void writeStatus(Pod pod, List<String> ips) {
        String now = Instant.now().toString();
        List<PodCondition> conditions = new ArrayList<>();
        for (String type : List.of("PodScheduled", "Initialized", "ContainersReady", "Ready")) {
            conditions.add(new PodConditionBuilder().withType(type).withStatus("True").withLastTransitionTime(now).build());
        }
        List<PodIP> podIps = ips.stream().map(PodIP::new).toList();
        var statuses = pod.getSpec().getContainers().stream().map(c -> new ContainerStatusBuilder().withName(c.getName())
                .withImage(c.getImage()).withReady(true).withStarted(true).withRestartCount(0)
                .withNewState().withNewRunning().withStartedAt(now).endRunning().endState().build()).toList();
        for (int attempt = 0; attempt < 5; attempt++) {
            Pod current = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
            if (current == null || !current.getMetadata().getUid().equals(pod.getMetadata().getUid())) {
                return;
            }
            current.setStatus(new PodStatusBuilder().withPhase("Running").withHostIP(nodeIp).withPodIP(ips.getFirst())
                    .withPodIPs(podIps).withStartTime(now).withConditions(conditions).withContainerStatuses(statuses).build());
            try {
                client.pods().inNamespace(current.getMetadata().getNamespace()).resource(current).updateStatus();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
        throw new IllegalStateException("cannot write the status of " + pod.getMetadata().getName() + ": conflicts");
    }

    @SuppressWarnings("unchecked")
    private static List<String> addresses(String result) throws Exception {
        List<String> addresses = new ArrayList<>();
        for (Object ip : (List<Object>) ((Map<String, Object>) Json.parse(result)).get("ips")) {
            String cidr = (String) ((Map<String, Object>) ip).get("address");
            addresses.add(cidr.substring(0, cidr.indexOf('/')));
        }
        return addresses;
    }

    /** The pods running now, for tests and the demo. */
    List<RunningPod> running() {
        return pods.values().stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).map(CompletableFuture::join).toList();
    }

    String node() {
        return node;
    }

    /** Stops watching; tears every pod down (CNI DEL, namespace removal) so the agent's IPAM is left clean. */
    @Override
    public void close() {
        informer.close();
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        for (String uid : List.copyOf(pods.keySet())) {
            stopping.add(stop(uid));
        }
        CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new)).join();
        workers.shutdown();
    }
}
