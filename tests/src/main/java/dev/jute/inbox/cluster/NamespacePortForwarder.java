package dev.jute.inbox.cluster;

import dev.jute.dataplane.NetNamespace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Makes a TCP service of the harness's namespace reachable at an address of another namespace: the
 * listening socket is opened inside that namespace (on the calling platform thread, which returns at
 * once), every accepted connection is relayed to the target in the harness's namespace by virtual
 * threads. This is how node namespaces reach the API server without any route or address in the root
 * namespace.
 */
final class NamespacePortForwarder implements AutoCloseable {

    private final ServerSocketChannel listener;
    private final InetSocketAddress target;

    private NamespacePortForwarder(ServerSocketChannel listener, InetSocketAddress target) {
        this.listener = listener;
        this.target = target;
    }

    static NamespacePortForwarder start(Path netns, InetSocketAddress listenAt, InetSocketAddress target) {
        ServerSocketChannel listener;
        try (NetNamespace namespace = NetNamespace.open(netns)) {
            listener = namespace.call(() -> {
                ServerSocketChannel channel = ServerSocketChannel.open();
                channel.bind(listenAt, 128);
                return channel;
            });
        } catch (Exception e) {
            throw new IllegalStateException("cannot listen on " + listenAt + " in " + netns + ": " + e.getMessage(), e);
        }
        NamespacePortForwarder forwarder = new NamespacePortForwarder(listener, target);
        Thread.ofVirtual().name("forward-accept-" + listenAt).start(forwarder::acceptLoop);
        return forwarder;
    }

    private void acceptLoop() {
        while (listener.isOpen()) {
            try {
                SocketChannel client = listener.accept();
                Thread.ofVirtual().start(() -> relay(client));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!listener.isOpen()) {
                    return;
                }
            }
        }
    }

    private void relay(SocketChannel client) {
        try (client; SocketChannel upstream = SocketChannel.open(target)) {
            Thread back = Thread.ofVirtual().start(() -> copy(upstream, client));
            copy(client, upstream);
            back.join();
        } catch (IOException e) {
            // The peer went away; nothing to tell anyone.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Copies until end of stream, then half-closes the destination so the other direction can finish. */
    private static void copy(SocketChannel from, SocketChannel to) {
        ByteBuffer buffer = ByteBuffer.allocate(32 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            try {
                to.close();
                from.close();
            } catch (IOException ignored) {
                // Both ends are being torn down anyway.
            }
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
