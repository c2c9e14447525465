package dev.jute.inbox;

import dev.jute.cni.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo of a single node: a node namespace running a real Jute agent, pods (namespaces) wired by the
 * real jute-cni executable exactly as a container runtime calls it, the pod table, and a connectivity
 * matrix measured with real traffic (ping, IPv4 and IPv6). Then everything is torn down.
 */
public final class NodeDemo {

    private static final String PREFIX = "jutedemo-";
    private static final List<String> PODS = List.of("frontend-1", "frontend-2", "backend-1", "postgres-0");

    private record Pod(String name, Netns netns, String ipv4, String ipv6, double addMillis) {
    }

    private NodeDemo() {
    }

    public static void main(String[] args) throws Exception {
        Netns.deleteAll(PREFIX);
        Path work = Files.createTempDirectory(PREFIX);
        Netns node = Netns.create(PREFIX + "node1");
        List<Pod> pods = new ArrayList<>();
        try {
            node.exec("ip", "addr", "add", "10.99.0.1/32", "dev", "lo").check();
            Path socket = work.resolve("cni.sock");
            System.out.println("Starting the Jute agent in network namespace " + node.name()
                    + " (pod CIDRs 10.244.1.0/24, fd00:10:244:1::/64)...");
            long start = System.nanoTime();
            try (AgentProcess agent = AgentProcess.start(node, new AgentProcess.Options("node1",
                    List.of("10.244.1.0/24", "fd00:10:244:1::/64"), socket, work.resolve("state"), 1500))) {
                System.out.printf(Locale.ROOT, "agent up in %.0f ms (pid %d)%n%n", (System.nanoTime() - start) / 1e6, agent.pid());
                CniPlugin cni = new CniPlugin(JuteArtifacts.cniLauncher(), List.of(), null);
                String config = """
                        {"cniVersion":"1.1.0","name":"jute-demo","type":"jute-cni","agentSocket":"%s"}""".formatted(socket);
                for (String name : PODS) {
                    Netns netns = Netns.create(PREFIX + name);
                    Command.Result add = cni.invoke(CniPlugin.Invocation.add("demo-" + name, netns.path(), "eth0")
                            .withArgs("K8S_POD_NAMESPACE=demo;K8S_POD_NAME=" + name), config);
                    if (!add.ok()) {
                        throw new IllegalStateException("CNI ADD for " + name + " failed: " + add.stdout() + add.stderr());
                    }
                    List<String> ips = addresses(add.stdout());
                    pods.add(new Pod(name, netns, ips.get(0), ips.size() > 1 ? ips.get(1) : "-", add.elapsed().toNanos() / 1e6));
                }
                printPods(pods);
                printMatrix(pods, false);
                printMatrix(pods, true);
                System.out.println("Pod to node (10.99.0.1): " + (pods.stream().allMatch(p -> p.netns().exec("ping", "-c", "1",
                        "-W", "2", "10.99.0.1").ok()) ? "every pod reaches its node" : "FAILED"));
                for (Pod pod : pods) {
                    Command.Result del = cni.invoke(CniPlugin.Invocation.del("demo-" + pod.name(), pod.netns().path(), "eth0"), config);
                    if (!del.ok()) {
                        throw new IllegalStateException("CNI DEL for " + pod.name() + " failed: " + del.stdout());
                    }
                }
                System.out.println("CNI DEL for every pod: addresses released, interfaces removed.");
            }
            System.out.println();
            System.out.println("Not in this demo yet: several nodes with BGP-learned routes, NetworkPolicy and Service NAT in eBPF,");
            System.out.println("the in-box Kubernetes cluster. They are being built (see the README's capability table).");
        } finally {
            pods.forEach(p -> p.netns().delete());
            node.delete();
            Command.run("rm", "-rf", work.toString());
        }
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

    private static void printPods(List<Pod> pods) {
        System.out.printf(Locale.ROOT, "%-12s %-5s %-14s %-26s %s%n", "POD", "NODE", "IPv4", "IPv6", "CNI ADD");
        for (Pod pod : pods) {
            System.out.printf(Locale.ROOT, "%-12s %-5s %-14s %-26s %.0f ms%n", pod.name(), "node1", pod.ipv4(), pod.ipv6(), pod.addMillis());
        }
        System.out.println();
    }

    private static void printMatrix(List<Pod> pods, boolean ipv6) {
        System.out.println("Connectivity, " + (ipv6 ? "IPv6" : "IPv4") + " ping (row = from, column = to):");
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-12s", ""));
        pods.forEach(p -> header.append(String.format(Locale.ROOT, " %-11s", p.name())));
        System.out.println(header);
        for (Pod from : pods) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-12s", from.name()));
            for (Pod to : pods) {
                boolean ok = from.netns().exec("ping", "-c", "1", "-W", "2", ipv6 ? to.ipv6() : to.ipv4()).ok();
                row.append(String.format(Locale.ROOT, " %-11s", ok ? "ok" : "FAIL"));
            }
            System.out.println(row);
        }
        System.out.println();
    }
}
