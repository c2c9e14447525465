package dev.jute.agent.bgp;

import dev.jute.bgp.Prefix;
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
import java.util.List;
import java.util.Map;

/**
 * {@code jute bgp peers|routes}: asks the running agent through its admin socket and prints a table
 * (sessions like {@code birdc show protocols}; the Loc-RIB with best and kernel marks), or the raw JSON.
 */
public final class BgpCli {

    public static final Path DEFAULT_ADMIN_SOCKET = Path.of("/run/jute/admin.sock");

    public static final String USAGE = """
            usage: jute bgp peers [--admin-socket PATH] [--json]
                   jute bgp routes [PREFIX] [--admin-socket PATH] [--json]
              peers    BGP sessions: state, uptime, prefixes received/stale/advertised, last error
              routes   the best routes (Loc-RIB), with the kernel route each one installed; with PREFIX
                       only routes inside it
              --admin-socket PATH   the agent's admin socket (default /run/jute/admin.sock)
            """;

    private BgpCli() {
    }

    /** Runs the command; returns the exit code (0 ok, 1 the agent could not answer, 2 bad usage). */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            (args.isEmpty() ? err : out).print(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        String command = args.getFirst();
        Path socket = DEFAULT_ADMIN_SOCKET;
        boolean json = false;
        Prefix within = null;
        for (int i = 1; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--admin-socket") && i + 1 < args.size()) {
                socket = Path.of(args.get(++i));
            } else if (arg.equals("--json")) {
                json = true;
            } else if (command.equals("routes") && within == null && !arg.startsWith("-")) {
                try {
                    within = Prefix.parse(arg);
                } catch (IllegalArgumentException e) {
                    err.println("jute bgp routes: " + e.getMessage());
                    return 2;
                }
            } else {
                err.print("jute bgp: unexpected argument " + arg + "\n" + USAGE);
                return 2;
            }
        }
        if (!command.equals("peers") && !command.equals("routes")) {
            err.print("jute bgp: unknown command " + command + "\n" + USAGE);
            return 2;
        }
        Map<String, Object> answer;
        try {
            answer = ask(socket, "bgp-" + command);
        } catch (IOException | JsonException e) {
            err.println("jute bgp: cannot reach the agent at " + socket + ": " + e.getMessage()
                        + " (is it running with --routing bgp? as root?)");
            return 1;
        }
        if (answer.get("error") != null) {
            err.println("jute bgp: the agent answered: " + answer.get("error"));
            return 1;
        }
        if (within != null) {
            answer = BgpStatusReport.filter(answer, within);
        }
        try {
            out.print(json ? Json.write(answer) + "\n"
                    : command.equals("peers") ? BgpStatusReport.renderPeers(answer) : BgpStatusReport.renderRoutes(answer));
        } catch (JsonException e) {
            err.println("jute bgp: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    /** One admin exchange: the request object out, the answer object back. */
    public static Map<String, Object> ask(Path socket, String command) throws IOException, JsonException {
        return AdminClient.ask(socket, Map.of("command", command));
    }
}
