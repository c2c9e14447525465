package dev.jute.inbox.cluster;

import com.sun.nio.sctp.MessageInfo;
import com.sun.nio.sctp.SctpChannel;
import com.sun.nio.sctp.SctpServerChannel;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A pod's "containers": for every declared container port, a server inside the pod's namespace that
 * answers with the pod's namespace/name (agnhost's serve-hostname answers with the name alone, which is
 * ambiguous across the conformance model's namespaces): TCP writes it and closes, UDP replies to
 * each datagram, SCTP sends it as one message. The sockets listen on the wildcard address, IPv4 and IPv6.
 */
final class PodServers implements AutoCloseable {

    /** Container ports whose name starts with this answer with the client's address too (Service tests: was it kept?). */
    static final String ECHO_PEER_PREFIX = "peer";

    /** One declared port; {@code echoPeer}: a TCP answer adds " from <client address>". */
    record Port(int port, String protocol, boolean echoPeer) {
        Port(int port, String protocol) {
            this(port, protocol, false);
        }
    }

    private final List<Closeable> sockets = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();

    private PodServers() {
    }

    static PodServers start(Path netns, String podName, List<Port> ports) throws Exception {
        PodServers servers = new PodServers();
        byte[] reply = (podName + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            for (Port port : ports) {
                switch (port.protocol()) {
                    case "TCP" -> servers.tcp(netns, port.port(), reply, port.echoPeer());
                    case "UDP" -> servers.udp(netns, port.port(), reply);
                    case "SCTP" -> {
                        if (NetnsSockets.sctpAvailable()) {
                            servers.sctp(netns, port.port(), reply);
                        } else {
                            servers.skipped.add(port.port() + "/SCTP (the kernel has no SCTP)");
                        }
                    }
                    default -> servers.skipped.add(port.port() + "/" + port.protocol() + " (unknown protocol)");
                }
            }
            return servers;
        } catch (Exception e) {
            servers.close();
            throw e;
        }
    }

    List<String> skipped() {
        return skipped;
    }

    private void tcp(Path netns, int port, byte[] reply, boolean echoPeer) throws Exception {
        ServerSocketChannel server = NetnsSockets.in(netns, () -> {
            ServerSocketChannel channel = ServerSocketChannel.open();
            channel.bind(new InetSocketAddress(port), 256);
            return channel;
        });
        sockets.add(server);
        Thread.ofVirtual().name("tcp-" + port).start(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel client = server.accept();
                    Thread.ofVirtual().start(() -> {
                        try (client) {
                            byte[] answer = reply;
                            if (echoPeer && client.getRemoteAddress() instanceof InetSocketAddress peer) {
                                String text = new String(reply, StandardCharsets.UTF_8).strip() + " from "
                                              + peer.getAddress().getHostAddress() + "\n";
                                answer = text.getBytes(StandardCharsets.UTF_8);
                            }
                            client.write(ByteBuffer.wrap(answer));
                        } catch (IOException ignored) {
                            // The prober may give up early; its verdict does not depend on us.
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    private void udp(Path netns, int port, byte[] reply) throws Exception {
        DatagramChannel server = NetnsSockets.in(netns, () -> {
            DatagramChannel channel = DatagramChannel.open();
            channel.bind(new InetSocketAddress(port));
            return channel;
        });
        sockets.add(server);
        Thread.ofVirtual().name("udp-" + port).start(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(2048);
            while (server.isOpen()) {
                try {
                    buffer.clear();
                    SocketAddress from = server.receive(buffer);
                    server.send(ByteBuffer.wrap(reply), from);
                } catch (IOException e) {
                    if (!server.isOpen()) {
                        return;
                    }
                }
            }
        });
    }

    private void sctp(Path netns, int port, byte[] reply) throws Exception {
        SctpServerChannel server = NetnsSockets.in(netns, () -> {
            SctpServerChannel channel = SctpServerChannel.open();
            channel.bind(new InetSocketAddress(port));
            return channel;
        });
        sockets.add(server);
        Thread.ofVirtual().name("sctp-" + port).start(() -> {
            while (server.isOpen()) {
                try {
                    SctpChannel client = server.accept();
                    Thread.ofVirtual().start(() -> {
                        try (client) {
                            client.send(ByteBuffer.wrap(reply), MessageInfo.createOutgoing(null, 0));
                        } catch (IOException ignored) {
                            // As for TCP.
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @Override
    public void close() {
        for (Closeable socket : sockets) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing a listening socket cannot fail in a way that matters here.
            }
        }
        sockets.clear();
    }
}
