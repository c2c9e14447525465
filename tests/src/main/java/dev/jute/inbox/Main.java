package dev.jute.inbox;

import java.util.Arrays;
import java.util.List;

/** {@code ./jute demo|bench}: the harness commands that run against Jute in network namespaces. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "demo" : args[0];
        List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
        switch (command) {
            case "demo" -> NodeDemo.main(rest.toArray(String[]::new));
            case "bench" -> bench(rest);
            default -> {
                System.err.println("usage: demo | bench [cni] [rounds]");
                System.exit(2);
            }
        }
    }

    private static void bench(List<String> args) throws Exception {
        String which = args.isEmpty() ? "cni" : args.getFirst();
        if (!which.equals("cni")) {
            System.err.println("unknown benchmark " + which + " (available: cni)");
            System.exit(2);
        }
        CniBenchmark.main(args.size() > 1 ? new String[] {args.get(1)} : new String[0]);
    }
}
