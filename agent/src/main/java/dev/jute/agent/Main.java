package dev.jute.agent;

import java.util.Arrays;
import java.util.List;

/** {@code jute <command>}: the agent daemon and the node-side tools. */
public final class Main {

    private static final String USAGE = """
            usage: jute <command> [options]
              agent         run the node agent (jute agent --help)
              install-cni   install jute-cni and its conflist on this node (jute install-cni --help)
              bgp           BGP sessions and routes of the running agent (jute bgp --help)
              policy        explain NetworkPolicy verdicts, show drops (jute policy --help)
              service       Service frontends and backends as programmed in the kernel (jute service --help)
              version       print Jute's version
            """;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.print(USAGE);
            System.exit(2);
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        try {
            switch (args[0]) {
                case "agent" -> runAgent(rest);
                case "install-cni" -> CniInstaller.run(rest);
                case "bgp" -> System.exit(dev.jute.agent.bgp.BgpCli.run(rest, System.out, System.err));
                case "policy" -> System.exit(dev.jute.agent.policy.PolicyCli.run(rest, System.out, System.err));
                case "service" -> System.exit(dev.jute.agent.service.ServiceCli.run(rest, System.out, System.err));
                case "version" -> System.out.println("jute " + version());
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

    private static void runAgent(List<String> args) throws Exception {
        if (args.contains("--help") || args.contains("-h")) {
            System.out.print(AgentConfig.USAGE);
            return;
        }
        AgentConfig config = AgentConfig.parse(args);
        Agent agent = Agent.start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "shutdown"));
        agent.awaitShutdown();
    }

    static String version() {
        String version = Main.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
