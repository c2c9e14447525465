package dev.jute.agent.policy;

import dev.jute.agent.admin.AdminClient;
import dev.jute.cni.Json;
import dev.jute.cni.JsonException;

import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code jute policy explain|drops}: asks the running agent through its admin socket (the protocol of
 * {@code dev.jute.agent.admin.AdminServer}: one JSON object each way per connection).
 */
public final class PolicyCli {

    public static final Path DEFAULT_ADMIN_SOCKET = Path.of("/run/jute/admin.sock");

    public static final String USAGE = """
            usage: jute policy explain SOURCE DESTINATION PORT/PROTOCOL [--admin-socket PATH]
                   jute policy drops [--admin-socket PATH] [--json]
              explain  whether a connection is allowed and which policies decide it; SOURCE and
                       DESTINATION are namespace/pod or an IP address, e.g. jute policy explain
                       x/a y/b 80/TCP
              drops    packets the dataplane dropped, per pod, direction and reason
              --admin-socket PATH   the agent's admin socket (default /run/jute/admin.sock)
            """;

    private PolicyCli() {
    }

    /** Runs the command; returns the exit code (0 ok, 1 the agent could not answer, 2 bad usage). */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            (args.isEmpty() ? err : out).print(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        Path socket = DEFAULT_ADMIN_SOCKET;
        boolean json = false;
        List<String> positional = new ArrayList<>();
        for (int i = 1; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--admin-socket") && i + 1 < args.size()) {
                socket = Path.of(args.get(++i));
            } else if (arg.equals("--json")) {
                json = true;
            } else if (arg.startsWith("--")) {
                err.print("jute policy: unknown option " + arg + "\n" + USAGE);
                return 2;
            } else {
                positional.add(arg);
            }
        }
        Map<String, Object> request = new LinkedHashMap<>();
        switch (args.getFirst()) {
            case "explain" -> {
                if (positional.size() != 3) {
                    err.print("jute policy explain: needs SOURCE DESTINATION PORT/PROTOCOL\n" + USAGE);
                    return 2;
                }
                try {
                    PolicyAgent.portAndProtocol(positional.get(2));
                } catch (IllegalArgumentException e) {
                    err.println("jute policy explain: " + e.getMessage());
                    return 2;
                }
                request.put("command", PolicyAdmin.EXPLAIN);
                request.put("source", positional.get(0));
                request.put("destination", positional.get(1));
                request.put("port", positional.get(2));
            }
            case "drops" -> {
                if (!positional.isEmpty()) {
                    err.print("jute policy drops: unexpected argument " + positional.getFirst() + "\n" + USAGE);
                    return 2;
                }
                request.put("command", PolicyAdmin.DROPS);
            }
            default -> {
                err.print("jute policy: unknown command " + args.getFirst() + "\n" + USAGE);
                return 2;
            }
        }
        Map<String, Object> answer;
        try {
            answer = ask(socket, request);
        } catch (IOException | JsonException e) {
            err.println("jute policy: cannot reach the agent at " + socket + ": " + e.getMessage() + " (is it running? as root?)");
            return 1;
        }
        if (answer.get("error") != null) {
            err.println("jute policy: " + answer.get("error"));
            return 1;
        }
        try {
            out.print(json ? Json.write(answer) + "\n"
                    : args.getFirst().equals("explain") ? answer.get("text") + "\n" : renderDrops(answer));
        } catch (JsonException e) {
            err.println("jute policy: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    /** A table: one line per endpoint, direction and reason. */
    static String renderDrops(Map<String, Object> answer) {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%-40s %-8s %-20s %12s %14s%n",
                "ENDPOINT", "DIR", "REASON", "PACKETS", "BYTES"));
        if (answer.get("drops") instanceof List<?> rows) {
            for (Object row : rows) {
                if (row instanceof Map<?, ?> drop) {
                    text.append(String.format(Locale.ROOT, "%-40s %-8s %-20s %12s %14s%n", drop.get("endpoint"),
                            drop.get("direction"), drop.get("reason"), number(drop.get("packets")), number(drop.get("bytes"))));
                }
            }
        }
        return text.toString();
    }

    private static String number(Object value) {
        return value instanceof Number n ? Long.toString(n.longValue()) : String.valueOf(value);
    }

    static Map<String, Object> ask(Path socket, Map<String, Object> request) throws IOException, JsonException {
        return AdminClient.ask(socket, request);
    }
}
