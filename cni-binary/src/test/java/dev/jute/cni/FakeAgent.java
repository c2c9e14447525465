package dev.jute.cni;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A tiny stand-in for the agent's CNI server on a unix socket: for every connection it reads one
 * request, records it and sends a canned answer (or misbehaves on purpose).
 */
final class FakeAgent implements AutoCloseable {
    enum Behaviour { ANSWER, NEVER_ANSWER, CLOSE_WITHOUT_ANSWER, GARBAGE }

    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final BlockingQueue<AgentProtocol.Request> requests = new LinkedBlockingQueue<>();
    private volatile AgentProtocol.Response answer;
    private volatile Behaviour behaviour = Behaviour.ANSWER;

    FakeAgent(Path socket, AgentProtocol.Response answer) throws IOException {
        this.socket = socket;
        this.answer = answer;
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(this::serve, "fake-agent");
        thread.setDaemon(true);
        thread.start();
    }

    FakeAgent behave(Behaviour b) {
        behaviour = b;
        return this;
    }

    void answer(AgentProtocol.Response response) {
        answer = response;
    }

    Path socket() {
        return socket;
    }

    /** The next request received, waiting up to 10 s. */
    AgentProtocol.Request nextRequest() throws InterruptedException {
        return requests.poll(10, TimeUnit.SECONDS);
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept()) {
                AgentProtocol.Request request = AgentProtocol.readRequest(ch, Duration.ofSeconds(10));
                requests.add(request);
                switch (behaviour) {
                    case ANSWER -> AgentProtocol.writeResponse(ch, answer, Duration.ofSeconds(10));
                    case NEVER_ANSWER -> Thread.sleep(30_000);
                    case CLOSE_WITHOUT_ANSWER -> { }
                    case GARBAGE -> ch.write(ByteBuffer.wrap("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes()));
                }
            } catch (IOException | InterruptedException e) {
                // the test closed us, or the client went away: next connection
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        thread.interrupt();
        Files.deleteIfExists(socket);
    }
}
