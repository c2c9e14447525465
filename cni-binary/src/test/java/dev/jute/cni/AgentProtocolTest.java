package dev.jute.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentProtocolTest {
    static final Duration T = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    ServerSocketChannel server;
    SocketChannel client;
    SocketChannel accepted;

    @BeforeEach
    void connect() throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("p.sock")));
        client = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("p.sock")));
        accepted = server.accept();
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        accepted.close();
        server.close();
    }

    @Test
    void requestAndResponseRoundTrip() throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", "ADD");
        env.put("CNI_CONTAINERID", "abc");
        env.put("CNI_ARGS", "K8S_POD_NAME=p\u00e9;X=\uD83D\uDE00");
        env.put("CNI_NETNS", "");
        String stdin = "{\"cniVersion\":\"1.1.0\",\"name\":\"n\u00e9\",\"type\":\"jute-cni\"}\n";
        AgentProtocol.writeRequest(client, new AgentProtocol.Request(env, stdin), T);
        AgentProtocol.Request got = AgentProtocol.readRequest(accepted, T);
        assertEquals(env, got.environment());
        assertEquals(stdin, got.stdin());

        AgentProtocol.Response response = new AgentProtocol.Response(1, "{\"code\":11}\n\u00e9");
        AgentProtocol.writeResponse(accepted, response, T);
        assertEquals(response, AgentProtocol.readResponse(client, T));
    }

    @Test
    void emptyRequestAndResponse() throws IOException {
        AgentProtocol.writeRequest(client, new AgentProtocol.Request(Map.of(), ""), T);
        assertEquals(new AgentProtocol.Request(Map.of(), ""), AgentProtocol.readRequest(accepted, T));
        AgentProtocol.writeResponse(accepted, AgentProtocol.Response.success(""), T);
        assertEquals(new AgentProtocol.Response(0, ""), AgentProtocol.readResponse(client, T));
    }

    @Test
    void onlyCniVariablesTravel() {
        AgentProtocol.Request r = AgentProtocol.Request.of(Map.of("CNI_COMMAND", "DEL", "PATH", "/bin", "HOME", "/"), "");
        assertEquals(Map.of("CNI_COMMAND", "DEL"), r.environment());
        assertThrows(IllegalArgumentException.class, () -> new AgentProtocol.Request(Map.of("PATH", "/bin"), ""));
        assertThrows(IllegalArgumentException.class, () -> new AgentProtocol.Response(256, ""));
        assertThrows(IllegalArgumentException.class, () -> new AgentProtocol.Response(-1, ""));
    }

    @Test
    void errorResponseHelper() throws Exception {
        AgentProtocol.Response r = AgentProtocol.Response.error(
                new CniException(CniErrorCode.ADDRESS_POOL_EXHAUSTED, "full"), CniVersion.V0_4_0);
        assertEquals(1, r.exitCode());
        assertEquals("{\"cniVersion\":\"0.4.0\",\"code\":110,\"msg\":\"full\"}", r.stdout());
    }

    @Test
    void writersRefuseMoreThanTheLimit() {
        String big = "x".repeat(AgentProtocol.MAX_BODY_BYTES);
        assertThrows(ProtocolException.class,
                () -> AgentProtocol.writeRequest(client, new AgentProtocol.Request(Map.of(), big), T));
        assertThrows(ProtocolException.class,
                () -> AgentProtocol.writeResponse(accepted, AgentProtocol.Response.success(big), T));
        // just under the limit passes (body = count + stdin length + stdin)
        String max = "x".repeat(AgentProtocol.MAX_BODY_BYTES - 8);
        Thread reader = new Thread(() -> {
            try {
                AgentProtocol.readRequest(accepted, T);
            } catch (IOException ignored) {
                // asserted by the writer side finishing
            }
        });
        reader.start();
        try {
            AgentProtocol.writeRequest(client, new AgentProtocol.Request(Map.of(), max), T);
            reader.join(10_000);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertFalse(reader.isAlive());
    }

    @Test
    void readersRefuseALengthAboveTheLimitBeforeReadingIt() throws IOException {
        ByteBuffer header = ByteBuffer.allocate(8).putInt(AgentProtocol.responseMagic())
                .putInt(AgentProtocol.MAX_BODY_BYTES + 1).flip();
        accepted.write(header);
        ProtocolException e = assertThrows(ProtocolException.class, () -> AgentProtocol.readResponse(client, T));
        assertTrue(e.getMessage().contains("limit"), e.getMessage());

        ByteBuffer negative = ByteBuffer.allocate(8).putInt(AgentProtocol.requestMagic()).putInt(-1).flip();
        client.write(negative);
        assertThrows(ProtocolException.class, () -> AgentProtocol.readRequest(accepted, T));
    }

    @Test
    void badMagicIsAProtocolError() throws IOException {
        client.write(ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes()));
        ProtocolException e = assertThrows(ProtocolException.class, () -> AgentProtocol.readRequest(accepted, T));
        assertTrue(e.getMessage().contains("magic"));
        // a response is not a request either
        AgentProtocol.writeResponse(accepted, AgentProtocol.Response.success("x"), T);
        assertThrows(ProtocolException.class, () -> AgentProtocol.readRequest(client, T));
    }

    @Test
    void malformedBodiesAreProtocolErrors() {
        // trailing bytes
        assertThrows(ProtocolException.class, () -> AgentProtocol.decodeResponse(
                ByteBuffer.allocate(12).putInt(0).putInt(0).putInt(7).flip()));
        // string length beyond the body
        assertThrows(ProtocolException.class, () -> AgentProtocol.decodeResponse(
                ByteBuffer.allocate(8).putInt(0).putInt(100).flip()));
        // invalid UTF-8
        assertThrows(ProtocolException.class, () -> AgentProtocol.decodeResponse(
                ByteBuffer.allocate(10).putInt(0).putInt(2).put((byte) 0xC3).put((byte) 0x28).flip()));
        // exit code out of range
        assertThrows(ProtocolException.class, () -> AgentProtocol.decodeResponse(
                ByteBuffer.allocate(8).putInt(300).putInt(0).flip()));
        // absurd variable count
        assertThrows(ProtocolException.class, () -> AgentProtocol.decodeRequest(
                ByteBuffer.allocate(8).putInt(Integer.MAX_VALUE).putInt(0).flip()));
        // a non-CNI variable smuggled in
        byte[] k = "PATH".getBytes();
        assertThrows(ProtocolException.class, () -> AgentProtocol.decodeRequest(ByteBuffer.allocate(24)
                .putInt(1).putInt(k.length).put(k).putInt(0).putInt(0).put(new byte[4]).flip().limit(20)));
    }

    @Test
    void truncatedMessageIsEof() throws IOException {
        accepted.write(ByteBuffer.allocate(10).putInt(AgentProtocol.responseMagic()).putInt(100).putShort((short) 1)
                .flip());
        accepted.close();
        assertThrows(EOFException.class, () -> AgentProtocol.readResponse(client, T));
    }

    @Test
    void readTimesOut() {
        long start = System.nanoTime();
        SocketTimeoutException e = assertThrows(SocketTimeoutException.class,
                () -> AgentProtocol.readResponse(client, Duration.ofMillis(200)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 190 && ms < 5_000, "took " + ms + " ms");
        assertTrue(e.getMessage().contains("response"));
        assertFalse(client.isOpen(), "a timed out channel is closed");
    }
}
