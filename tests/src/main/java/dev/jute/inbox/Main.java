package dev.jute.inbox;

import dev.jute.inbox.cluster.ClusterCli;
import dev.jute.inbox.cluster.ClusterDemo;
import dev.jute.inbox.cluster.NetpolConformance;

import java.util.Arrays;
import java.util.List;

/** {@code ./jute demo|bench|cluster|kubectl|conformance}: the harness commands that run Jute in network namespaces. */
public final class Main {

    private static final String USAGE = """
            usage: demo [node]                       the in-box cluster demo (node: the single-node demo)
                   cluster up|down|status [options]  an in-box cluster (see: cluster)
                   kubectl [--cluster NAME] ARGS     kubectl against an in-box cluster
                   conformance netpol DIR [--phase setup]  NetworkPolicy truth-table cases on fresh clusters
                   bench [cni] [rounds] | bench bgp [prefixes] | bench policy | bench service
            """;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "demo" : args[0];
        List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
        try {
            switch (command) {
                case "demo" -> {
                    if (!rest.isEmpty() && rest.getFirst().equals("node")) {
                        NodeDemo.main(rest.subList(1, rest.size()).toArray(String[]::new));
                    } else {
                        System.exit(ClusterDemo.run(rest));
                    }
                }
                case "cluster" -> System.exit(ClusterCli.run(rest));
                case "kubectl" -> System.exit(ClusterCli.kubectl(rest));
                case "conformance" -> System.exit(NetpolConformance.run(rest));
                case "bench" -> bench(rest);
                default -> {
                    System.err.print(USAGE);
                    System.exit(2);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("jute: " + e.getMessage());
            System.exit(2);
        }
    }

    private static void bench(List<String> args) throws Exception {
        String which = args.isEmpty() ? "cni" : args.getFirst();
        if (which.equals("policy")) {
            PolicyBenchmark.main(new String[0]);
            return;
        }
        if (which.equals("service")) {
            dev.jute.inbox.cluster.ServiceBenchmark.main(new String[0]);
            return;
        }
        if (which.equals("bgp")) {
            BgpBenchmark.main(args.subList(1, args.size()).toArray(String[]::new));
            return;
        }
        if (!which.equals("cni")) {
            System.err.println("unknown benchmark " + which + " (available: cni, bgp, policy, service)");
            System.exit(2);
        }
        CniBenchmark.main(args.size() > 1 ? new String[] {args.get(1)} : new String[0]);
    }
}
