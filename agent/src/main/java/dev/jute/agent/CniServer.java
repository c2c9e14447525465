package dev.jute.agent;

import dev.jute.cni.AgentProtocol;
import dev.jute.cni.AgentProtocol.Request;
import dev.jute.cni.AgentProtocol.Response;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;


/**
 * The agent's end of the jute-cni socket, a {@link RootOnlySocket}. Requests are
 * served concurrently by platform threads, because serving them enters network namespaces, which is
 * per OS thread and forbidden on virtual threads.
 */
public final class CniServer implements AutoCloseable {

    private static final Log LOG = Log.of("cni-server");
    private static final Duration IO_TIMEOUT = Duration.ofSeconds(30);

    private final Path socketPath;
    private final CniRequestHandler handler;
    private final ServerSocketChannel server;
    private final ExecutorService workers;
    private final Thread acceptor;

    private CniServer(Path socketPath, CniRequestHandler handler, ServerSocketChannel server, int workerCount) {
        this.socketPath = socketPath;
        this.handler = handler;
        this.server = server;
        this.workers = Executors.newFixedThreadPool(workerCount, Thread.ofPlatform().name("cni-worker-", 0).daemon().factory());
        this.acceptor = Thread.ofPlatform().name("cni-acceptor").daemon().unstarted(this::acceptLoop);
    }

    /** Binds the socket (replacing a stale one left by a crashed agent) and starts serving. */
    public static CniServer start(Path socketPath, CniRequestHandler handler, int workerCount) throws IOException {
        ServerSocketChannel server = RootOnlySocket.bind(socketPath, 128);
        CniServer cniServer = new CniServer(socketPath, handler, server, workerCount);
        cniServer.acceptor.start();
        return cniServer;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("accept failed", "error", e.getMessage());
                continue;
            }
            try {
                workers.execute(() -> serve(client));
            } catch (RejectedExecutionException e) {
                closeQuietly(client);
                return;
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            String refused = RootOnlySocket.refusedPeer(client);
            if (refused != null) {
                LOG.warn("refused CNI client", "user", refused);
                return;
            }
            Request request = AgentProtocol.readRequest(client, IO_TIMEOUT);
            Response response = handler.handle(request);
            AgentProtocol.writeResponse(client, response, IO_TIMEOUT);
        } catch (IOException e) {
            LOG.warn("CNI connection failed", "error", e.getMessage());
        }
    }

    @Override
    public void close() {
        closeQuietly(server);
        workers.shutdown();
        try {
            // Let requests in flight finish: a half-done ADD is rolled back by its own code, not by us.
            workers.awaitTermination(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            LOG.warn("cannot remove socket", "path", socketPath, "error", e.getMessage());
        }
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // nothing left to do with it
        }
    }
}
