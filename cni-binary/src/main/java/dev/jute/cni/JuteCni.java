package dev.jute.cni;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The {@code jute-cni} executable: a thin CNI client. It validates the invocation, answers
 * VERSION itself and forwards every other command to the local Jute agent, then prints the
 * agent's answer verbatim and exits with the agent's exit code.
 *
 * <p>Every failure becomes a CNI error object on stdout and a non-zero exit status; stdout never
 * carries a stack trace. This runs once per CNI call, so start-up matters: no lambdas, streams,
 * regular expressions, String.format, logging or reflection on this path.
 */
public final class JuteCni {
    private JuteCni() {
    }

    public static void main(String[] args) {
        int status = execute(System.getenv(), System.in, System.out, System.err);
        System.out.flush();
        System.err.flush();
        // halt, not exit: there are no shutdown hooks to run, and System.exit logs through
        // System.Logger, which loads the JDK's logging machinery (measurable start-up time).
        Runtime.getRuntime().halt(status);
    }

    /**
     * One invocation with explicit streams; returns the exit status. Nothing escapes: whatever
     * goes wrong ends as a CNI error object on {@code out}.
     */
    static int execute(Map<String, String> env, InputStream in, PrintStream out, PrintStream err) {
        try {
            return run(env, in, out, err);
        } catch (Throwable t) {
            return internalError(t, CniVersion.LATEST.text(), out, err);
        }
    }

    private static int run(Map<String, String> env, InputStream in, PrintStream out, PrintStream err) {
        String command = env.get(CniRequest.CNI_COMMAND);
        if (command == null || command.isEmpty()) {
            // Probably a human at a terminal: do not wait for stdin.
            err.println("jute-cni: the CNI plugin of Jute, run by container runtimes with CNI_COMMAND set;"
                    + " CNI versions " + String.join(", ", CniVersion.supportedTexts()));
            return fail(new CniException(CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
                    "required environment variables [CNI_COMMAND] missing"), CniVersion.LATEST.text(), out);
        }

        String stdin;
        try {
            stdin = readStdin(in);
        } catch (CniException e) {
            return fail(e, CniVersion.LATEST.text(), out);
        }

        CniRequest request;
        try {
            request = CniRequest.parse(env, stdin);
        } catch (CniException e) {
            return fail(e, CniVersion.ofConfigOrLatest(stdin).text(), out);
        }
        if (request.command() == CniCommand.VERSION) {
            print(CniVersion.versionResultText(request.requestedVersion()), out);
            return 0;
        }

        NetworkConfig config = request.config();
        String version = config.cniVersion().text();
        try {
            AgentProtocol.Response response =
                    AgentClient.call(config.agentSocket(), env, stdin, config.agentTimeout());
            print(response.stdout(), out);
            return response.exitCode();
        } catch (AgentUnavailableException e) {
            err.println("jute-cni: " + e.getMessage());
            CniErrorCode code = request.command() == CniCommand.STATUS
                    ? CniErrorCode.PLUGIN_NOT_AVAILABLE : CniErrorCode.TRY_AGAIN_LATER;
            return fail(new CniException(code, e.getMessage(),
                    "jute-cni forwards " + request.command().name() + " to the Jute agent on " + config.agentSocket()
                            + "; start the agent (the jute DaemonSet) or fix agentSocket"), version, out);
        } catch (SocketTimeoutException e) {
            err.println("jute-cni: " + e.getMessage());
            return fail(new CniException(CniErrorCode.TRY_AGAIN_LATER, e.getMessage(),
                    "the agent may still be working on it; the runtime should retry"), version, out);
        } catch (ProtocolException e) {
            err.println("jute-cni: protocol error talking to " + config.agentSocket() + ": " + e.getMessage());
            return fail(new CniException(CniErrorCode.INTERNAL_ERROR,
                    "the Jute agent at " + config.agentSocket() + " sent an invalid answer", e.getMessage()),
                    version, out);
        } catch (IOException e) {
            // The exchange broke (e.g. the agent restarted mid-call): transient by nature.
            err.println("jute-cni: communication with " + config.agentSocket() + " failed: " + e);
            return fail(new CniException(CniErrorCode.TRY_AGAIN_LATER,
                    "communication with the Jute agent at " + config.agentSocket() + " failed",
                    String.valueOf(e.getMessage())), version, out);
        } catch (RuntimeException e) {
            return internalError(e, version, out, err);
        }
    }

    /** All of stdin as strict UTF-8, at most {@link AgentProtocol#MAX_BODY_BYTES} bytes. */
    static String readStdin(InputStream in) throws CniException {
        byte[] bytes;
        try {
            bytes = in.readNBytes(AgentProtocol.MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw new CniException(CniErrorCode.IO_FAILURE, "cannot read the network configuration from stdin",
                    String.valueOf(e.getMessage()));
        }
        if (bytes.length > AgentProtocol.MAX_BODY_BYTES) {
            throw new CniException(CniErrorCode.INVALID_NETWORK_CONFIG,
                    "network configuration on stdin is larger than " + AgentProtocol.MAX_BODY_BYTES + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CniException(CniErrorCode.DECODING_FAILURE, "stdin is not valid UTF-8");
        }
    }

    private static int fail(CniException e, String version, PrintStream out) {
        print(e.toJsonText(version), out);
        return 1;
    }

    private static int internalError(Throwable t, String version, PrintStream out, PrintStream err) {
        try {
            err.println("jute-cni: internal error: " + t);
        } catch (Throwable ignored) {
            // stderr is best effort
        }
        String msg = t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        return fail(new CniException(CniErrorCode.INTERNAL_ERROR, "internal error in jute-cni", msg), version, out);
    }

    private static void print(String text, PrintStream out) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
        out.flush();
    }
}
