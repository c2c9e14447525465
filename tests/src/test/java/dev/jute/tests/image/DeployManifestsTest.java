package dev.jute.tests.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.jute.agent.AgentConfig;
import dev.jute.inbox.JuteArtifacts;
import dev.jute.inbox.image.JuteImage;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * deploy/*.yaml: every Kubernetes document parses into fabric8's model without unknown fields, and the
 * DaemonSet agrees with the agent, the installer and the image — the arguments are ones the agent
 * accepts, every mount has a volume, the paths the agent and jute-cni meet at are host paths.
 */
class DeployManifestsTest {

    private static final Path DEPLOY = JuteArtifacts.root().resolve("deploy");

    @Test
    void everyManifestParsesIntoModelObjectsWithoutUnknownFields() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(DEPLOY)) {
            files = list.filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().equals("kind-config.yaml"))
                    .sorted().toList();
        }
        assertFalse(files.isEmpty(), "no manifests in " + DEPLOY);
        for (Path file : files) {
            List<HasMetadata> objects = documents(file);
            assertFalse(objects.isEmpty(), file + " holds no objects");
            for (HasMetadata object : objects) {
                assertFalse(object instanceof GenericKubernetesResource, file + ": unknown kind " + object.getKind());
                assertNotNull(object.getMetadata().getName(), file + ": a " + object.getKind() + " without a name");
                assertNoUnknownFields(object, file.getFileName() + ":" + object.getKind() + "/" + object.getMetadata().getName(),
                        new IdentityHashMap<>());
            }
        }
    }

    @Test
    void daemonSetMountsHaveVolumesAndTheAgentAcceptsItsArguments() throws IOException {
        List<HasMetadata> objects = documents(DEPLOY.resolve("jute.yaml"));
        DaemonSet daemonSet = only(objects, DaemonSet.class);
        PodSpec pod = daemonSet.getSpec().getTemplate().getSpec();
        Map<String, Volume> volumes = new java.util.HashMap<>();
        pod.getVolumes().forEach(v -> assertTrue(volumes.put(v.getName(), v) == null, "volume " + v.getName() + " twice"));
        List<Container> all = new ArrayList<>(pod.getInitContainers());
        all.addAll(pod.getContainers());
        Set<String> used = new java.util.HashSet<>();
        for (Container c : all) {
            assertEquals(JuteImage.DEFAULT_REFERENCE, c.getImage(), c.getName() + " runs the image ./jute image builds");
            assertEquals("Never", c.getImagePullPolicy(), c.getName() + ": the image is loaded, never pulled");
            assertTrue(c.getCommand() == null || c.getCommand().isEmpty(), c.getName() + " keeps the image's entrypoint");
            for (VolumeMount m : c.getVolumeMounts()) {
                assertTrue(volumes.containsKey(m.getName()), c.getName() + " mounts " + m.getName() + ", which is no volume");
                used.add(m.getName());
            }
        }
        assertEquals(volumes.keySet(), used, "every volume is mounted somewhere");
        assertTrue(pod.getHostNetwork(), "the agent configures the node's network");
        assertEquals("system-node-critical", pod.getPriorityClassName());
        assertTrue(pod.getTolerations().stream().anyMatch(t -> "Exists".equals(t.getOperator()) && t.getKey() == null),
                "tolerates every taint: NotReady and control-plane nodes need the CNI most");

        // The agent: the options parse, and it runs in in-cluster mode (neither --kubeconfig nor --pod-cidr).
        Container agent = only(pod.getContainers(), "agent");
        List<String> args = agent.getArgs();
        assertEquals("agent", args.getFirst());
        List<String> options = args.subList(1, args.size());
        assertFalse(options.contains("--kubeconfig") || options.contains("--pod-cidr"), "in-cluster mode: " + options);
        List<String> parseable = new ArrayList<>(options);
        parseable.addAll(List.of("--pod-cidr", "10.244.0.0/24")); // in-cluster mode needs a real service account
        AgentConfig config = AgentConfig.parse(parseable);
        EnvVar nodeName = agent.getEnv().stream().filter(e -> e.getName().equals("NODE_NAME")).findFirst()
                .orElseThrow(() -> new AssertionError("NODE_NAME is not set"));
        assertEquals("spec.nodeName", nodeName.getValueFrom().getFieldRef().getFieldPath());

        assertNotNull(config.healthListen(), "--health-listen is given: the probes need it");
        for (Probe probe : Stream.of(agent.getStartupProbe(), agent.getLivenessProbe(), agent.getReadinessProbe()).toList()) {
            assertNotNull(probe, "agent has startup, liveness and readiness probes");
            HTTPGetAction get = probe.getHttpGet();
            assertEquals(config.healthListen().getPort(), get.getPort().getIntVal(), "probe port = --health-listen port");
            assertEquals(config.healthListen().getHostString(), get.getHost(), "probe host = --health-listen host");
            assertTrue(Set.of("/healthz", "/readyz").contains(get.getPath()), get.getPath());
        }
        assertEquals("/readyz", agent.getReadinessProbe().getHttpGet().getPath());
        assertHostPath(pod, agent, config.socket().getParent(), "/run/jute");
        assertHostPath(pod, agent, config.stateDir(), "/var/lib/jute");
        assertHostPath(pod, agent, Path.of("/sys/fs/bpf"), "/sys/fs/bpf");
        assertHostPath(pod, agent, Path.of("/var/run/netns"), "/var/run/netns");
        assertEquals("HostToContainer", mountAt(agent, "/var/run/netns").orElseThrow().getMountPropagation(),
                "network namespaces made after the agent started are visible to it");

        // The installer: from the image's distribution into the host's CNI directories; its conflist
        // names the default socket, which is the one the agent serves.
        Container install = only(pod.getInitContainers(), "install-cni");
        List<String> installArgs = install.getArgs();
        assertEquals("install-cni", installArgs.getFirst());
        assertEquals(JuteImage.CNI_DISTRIBUTION, option(installArgs, "--from"));
        assertEquals("1.0.0", option(installArgs, "--cni-version"));
        assertFalse(installArgs.contains("--socket"), "the conflist names the default socket the agent serves");
        assertEquals(AgentConfig.DEFAULT_SOCKET, config.socket());
        assertHostPath(pod, install, Path.of(option(installArgs, "--bin-dir")), "/opt/cni/bin");
        assertHostPath(pod, install, Path.of(option(installArgs, "--conf-dir")), "/etc/cni/net.d");
    }

    @Test
    void theAgentsServiceAccountMayWatchWhatItInforms() throws IOException {
        List<HasMetadata> objects = documents(DEPLOY.resolve("jute.yaml"));
        DaemonSet daemonSet = only(objects, DaemonSet.class);
        ServiceAccount account = only(objects, ServiceAccount.class);
        assertEquals(account.getMetadata().getName(), daemonSet.getSpec().getTemplate().getSpec().getServiceAccountName());
        assertEquals(account.getMetadata().getNamespace(), daemonSet.getMetadata().getNamespace());
        ClusterRoleBinding binding = only(objects, ClusterRoleBinding.class);
        ClusterRole role = only(objects, ClusterRole.class);
        assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
        assertTrue(binding.getSubjects().stream().anyMatch(s -> s.getKind().equals("ServiceAccount")
                && s.getName().equals(account.getMetadata().getName())
                && s.getNamespace().equals(account.getMetadata().getNamespace())), "the binding names the agent's account");
        // What dev.jute.agent.k8s.ClusterCache informs on.
        Map<String, String> informed = Map.of("nodes", "", "pods", "", "namespaces", "", "services", "",
                "endpointslices", "discovery.k8s.io", "networkpolicies", "networking.k8s.io");
        informed.forEach((resource, group) -> {
            for (String verb : List.of("get", "list", "watch")) {
                assertTrue(role.getRules().stream().anyMatch(r -> allows(r, group, resource, verb)),
                        "the ClusterRole allows " + verb + " " + resource + " in group '" + group + "'");
            }
        });
    }

    @Test
    void kindConfigHandsPodNetworkingAndServicesToJute() throws IOException {
        JsonNode kind = new ObjectMapper(new YAMLFactory()).readTree(DEPLOY.resolve("kind-config.yaml").toFile());
        assertEquals("Cluster", kind.path("kind").asText());
        assertEquals("kind.x-k8s.io/v1alpha4", kind.path("apiVersion").asText());
        JsonNode networking = kind.path("networking");
        assertTrue(networking.path("disableDefaultCNI").asBoolean(), "kindnet off: Jute is the CNI");
        assertEquals("10.244.0.0/16", networking.path("podSubnet").asText());
        assertEquals("10.96.0.0/12", networking.path("serviceSubnet").asText());
        assertEquals("none", networking.path("kubeProxyMode").asText(), "Jute replaces kube-proxy");

        // Without kube-proxy the kubernetes ClusterIP works only once the agent programmed it: the agent
        // must reach the API server directly, at the control-plane node of this very kind cluster.
        Container agent = only(only(documents(DEPLOY.resolve("jute.yaml")), DaemonSet.class).getSpec().getTemplate().getSpec()
                .getContainers(), "agent");
        Map<String, String> env = new java.util.HashMap<>();
        agent.getEnv().stream().filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));
        assertEquals(kind.path("name").asText() + "-control-plane", env.get("KUBERNETES_SERVICE_HOST"));
        assertEquals("6443", env.get("KUBERNETES_SERVICE_PORT"));

        // Host-network processes (kubelet, hostNetwork pods) get ClusterIPs from the socket-LB hooks, which
        // must sit on the node's cgroup v2 root, not on the agent container's private cgroup namespace.
        List<String> options = new ArrayList<>(agent.getArgs().subList(1, agent.getArgs().size()));
        options.addAll(List.of("--pod-cidr", "10.244.0.0/24"));
        Path cgroup = AgentConfig.parse(options).services().socketLb().cgroup();
        assertNotNull(cgroup, "--socket-lb-cgroup names a directory: " + options);
        VolumeMount mount = mountAt(agent, cgroup.toString()).orElseThrow(() -> new AssertionError("nothing mounted at " + cgroup));
        Volume volume = only(documents(DEPLOY.resolve("jute.yaml")), DaemonSet.class).getSpec().getTemplate().getSpec()
                .getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        assertEquals("/sys/fs/cgroup", volume.getHostPath().getPath(), "the node's cgroup hierarchy");
    }

    private static boolean allows(PolicyRule rule, String group, String resource, String verb) {
        return rule.getApiGroups().contains(group) && rule.getResources().contains(resource) && rule.getVerbs().contains(verb);
    }

    private static void assertHostPath(PodSpec pod, Container container, Path mountPath, String hostPath) {
        VolumeMount mount = mountAt(container, mountPath.toString()).orElseThrow(
                () -> new AssertionError(container.getName() + " has nothing mounted at " + mountPath));
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        assertNotNull(volume.getHostPath(), mount.getName() + " is a hostPath volume");
        assertEquals(hostPath, volume.getHostPath().getPath(), mount.getName());
        assertFalse(Boolean.TRUE.equals(mount.getReadOnly()), mount.getName() + " is written to");
    }

    private static Optional<VolumeMount> mountAt(Container container, String path) {
        return container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst();
    }

    private static String option(List<String> args, String name) {
        int i = args.indexOf(name);
        assertTrue(i >= 0 && i + 1 < args.size(), name + " is given with a value: " + args);
        return args.get(i + 1);
    }

    static List<HasMetadata> documents(Path file) throws IOException {
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : Files.readString(file).split("(?m)^---\\s*$")) {
            if (document.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) {
                continue;
            }
            Object parsed = Serialization.unmarshal(document);
            if (!(parsed instanceof HasMetadata object)) {
                fail(file + ": a document that is no Kubernetes object: " + parsed);
                return objects;
            }
            objects.add(object);
        }
        return objects;
    }

    private static <T> T only(List<HasMetadata> objects, Class<T> type) {
        List<T> matching = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertEquals(1, matching.size(), "exactly one " + type.getSimpleName());
        return matching.getFirst();
    }

    private static Container only(List<Container> containers, String name) {
        return containers.stream().filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name));
    }

    /**
     * fabric8 keeps fields its model does not know in additionalProperties instead of failing; a typo
     * ("mountPropogation") would be silently ignored by the API server's older clients, so none is allowed.
     */
    private static void assertNoUnknownFields(Object node, String where, IdentityHashMap<Object, Boolean> seen) {
        if (node == null || seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        if (node instanceof Collection<?> collection) {
            collection.forEach(element -> assertNoUnknownFields(element, where, seen));
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.values().forEach(value -> assertNoUnknownFields(value, where, seen));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || getter.getDeclaringClass() == Object.class
                || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                assertTrue(value == null || ((Map<?, ?>) value).isEmpty(),
                        where + ": unknown fields " + value + " in a " + node.getClass().getSimpleName());
            } else {
                assertNoUnknownFields(value, where + "." + getter.getName().replaceFirst("^(get|is)", ""), seen);
            }
        }
    }

}
