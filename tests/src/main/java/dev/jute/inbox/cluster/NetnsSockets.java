package dev.jute.inbox.cluster;

import com.sun.nio.sctp.SctpChannel;
import com.sun.nio.sctp.SctpServerChannel;
import dev.jute.dataplane.NetNamespace;

import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Opens sockets that live in a given network namespace. A socket belongs to the namespace its creating
 * thread was in, so creation runs on a few platform threads made once in the harness's namespace
 * ({@code setns} there, create, {@code setns} back); the socket is then used from any thread, virtual
 * ones included. No thread is ever started while inside another namespace.
 */
public final class NetnsSockets {

    private static final ExecutorService OPENERS = Executors.newFixedThreadPool(4,
            Thread.ofPlatform().name("netns-socket-opener-", 0).daemon().factory());

    private NetnsSockets() {
    }

    public static SocketChannel tcp(Path netns) throws Exception {
        return in(netns, SocketChannel::open);
    }

    public static DatagramChannel udp(Path netns) throws Exception {
        return in(netns, DatagramChannel::open);
    }

    public static SctpChannel sctp(Path netns) throws Exception {
        return in(netns, SctpChannel::open);
    }

    public static ServerSocketChannel tcpServer(Path netns) throws Exception {
        return in(netns, ServerSocketChannel::open);
    }

    public static SctpServerChannel sctpServer(Path netns) throws Exception {
        return in(netns, SctpServerChannel::open);
    }

    /** Runs {@code body} (which must be short and must not start threads) inside {@code netns}. */
    public static <T> T in(Path netns, Callable<T> body) throws Exception {
        try {
            return OPENERS.submit(() -> {
                try (NetNamespace namespace = NetNamespace.open(netns)) {
                    return namespace.call(body);
                }
            }).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Whether this kernel offers SCTP sockets (the {@code sctp} module); the probe runs in the harness's namespace. */
    public static boolean sctpAvailable() {
        try (SctpChannel channel = SctpChannel.open()) {
            return channel != null;
        } catch (Exception | LinkageError e) {
            return false;
        }
    }
}
