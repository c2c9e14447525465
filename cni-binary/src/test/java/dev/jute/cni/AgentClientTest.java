package dev.jute.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentClientTest {
    static final Map<String, String> ENV = Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "HOME", "/root");

    @TempDir
    Path dir;

    @Test
    void missingSocketIsUnavailable() {
        Path socket = dir.resolve("absent.sock");
        AgentUnavailableException e = assertThrows(AgentUnavailableException.class,
                () -> AgentClient.call(socket, ENV, "{}", Duration.ofSeconds(5)));
        assertEquals(socket, e.socket());
        assertTrue(e.getMessage().contains(socket.toString()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void missingDirectoryIsUnavailable() {
        assertThrows(AgentUnavailableException.class,
                () -> AgentClient.call(dir.resolve("no/such/dir.sock"), ENV, "{}", Duration.ofSeconds(5)));
    }

    @Test
    void staleSocketFileIsUnavailable() throws IOException {
        Path socket = dir.resolve("stale.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "closing a unix server leaves its file behind");
        AgentUnavailableException e = assertThrows(AgentUnavailableException.class,
                () -> AgentClient.call(socket, ENV, "{}", Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("refused"), e.getMessage());
    }

    @Test
    void sendsCniVariablesAndStdinAndReturnsTheAnswer() throws Exception {
        AgentProtocol.Response canned = new AgentProtocol.Response(0, "{\"cniVersion\":\"1.1.0\",\"dns\":{}}");
        try (FakeAgent agent = new FakeAgent(dir.resolve("a.sock"), canned)) {
            assertEquals(canned, AgentClient.call(agent.socket(), ENV, "{\"x\":1}", Duration.ofSeconds(5)));
            AgentProtocol.Request got = agent.nextRequest();
            assertEquals(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1"), got.environment());
            assertEquals("{\"x\":1}", got.stdin());
        }
    }

    @Test
    void silentAgentTimesOut() throws Exception {
        try (FakeAgent agent = new FakeAgent(dir.resolve("a.sock"), null).behave(FakeAgent.Behaviour.NEVER_ANSWER)) {
            long start = System.nanoTime();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                    () -> AgentClient.call(agent.socket(), ENV, "{}", Duration.ofMillis(300)));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms >= 290 && ms < 5_000, "took " + ms + " ms");
            assertTrue(e.getMessage().contains(agent.socket().toString()));
        }
    }

    @Test
    void agentHangingUpIsAnIoErrorNotUnavailability() throws Exception {
        try (FakeAgent agent = new FakeAgent(dir.resolve("a.sock"), null)
                .behave(FakeAgent.Behaviour.CLOSE_WITHOUT_ANSWER)) {
            IOException e = assertThrows(IOException.class,
                    () -> AgentClient.call(agent.socket(), ENV, "{}", Duration.ofSeconds(5)));
            assertFalse(e instanceof AgentUnavailableException);
        }
    }

    @Test
    void wrongPeerIsAProtocolError() throws Exception {
        try (FakeAgent agent = new FakeAgent(dir.resolve("a.sock"), null).behave(FakeAgent.Behaviour.GARBAGE)) {
            IOException e = assertThrows(IOException.class,
                    () -> AgentClient.call(agent.socket(), ENV, "{}", Duration.ofSeconds(5)));
            assertInstanceOf(ProtocolException.class, e);
        }
    }
}
