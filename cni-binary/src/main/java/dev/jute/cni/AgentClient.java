package dev.jute.cni;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The jute-cni side of {@link AgentProtocol}: one call = connect, send the request, read the answer. */
public final class AgentClient {
    private AgentClient() {
    }

    /**
     * Sends one invocation to the agent and waits for its answer.
     *
     * @param socket  the agent's unix socket
     * @param env     the process environment; only CNI_* variables are sent
     * @param stdin   stdin as read
     * @param timeout the whole exchange (connect, send, answer) must finish within this
     * @throws AgentUnavailableException when the socket file is missing or the connection is refused
     * @throws SocketTimeoutException    when the agent did not answer in time
     * @throws java.net.ProtocolException when the peer does not speak the protocol
     * @throws IOException               when the exchange fails otherwise (e.g. the agent closed the connection)
     */
    public static AgentProtocol.Response call(Path socket, Map<String, String> env, String stdin, Duration timeout)
            throws IOException {
        AgentProtocol.Request request = AgentProtocol.Request.of(env, stdin);
        // Encode first: an oversized request is the caller's problem, not the agent's.
        ByteBuffer encoded = AgentProtocol.encodeRequest(request);
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        ChannelWatchdog watchdog = ChannelWatchdog.start(channel, timeout);
        try {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (ConnectException refused) {
                throw new AgentUnavailableException(socket, "connection refused (agent not running?)", refused);
            } catch (SocketException e) {
                if (!Files.exists(socket)) {
                    throw new AgentUnavailableException(socket, "socket file does not exist (agent not running?)", e);
                }
                throw e;
            }
            AgentProtocol.writeFully(channel, encoded);
            return AgentProtocol.decodeResponse(
                    AgentProtocol.readMessage(channel, AgentProtocol.responseMagic(), "response"));
        } catch (ClosedChannelException e) {
            if (watchdog.fired()) {
                SocketTimeoutException timedOut = new SocketTimeoutException(
                        "the Jute agent at " + socket + " did not answer within " + timeout.toMillis() + " ms");
                timedOut.initCause(e);
                throw timedOut;
            }
            throw e;
        } finally {
            watchdog.close();
            channel.close();
        }
    }
}
