package dev.jute.agent;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import jdk.net.ExtendedSocketOptions;

/**
 * The agent's unix sockets (CNI, admin) that only root — or the agent's own user — may use: the socket
 * is 0600, a directory the agent creates for it is 0700, and every peer's credentials are checked
 * (SO_PEERCRED) because the mode alone leaves a window between bind and chmod.
 */
public final class RootOnlySocket {

    private static final String AGENT_USER = System.getProperty("user.name");

    private RootOnlySocket() {
    }

    /** Binds {@code path}, replacing a stale socket a crashed agent left behind. */
    public static ServerSocketChannel bind(Path path, int backlog) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            // Our own directory: nobody else gets in. An existing one (perhaps shared) is left as it is;
            // the socket's mode and the peer check still keep others out.
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path), backlog);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        return server;
    }

    /** The peer's user name when it may be served, else null. */
    public static String refusedPeer(SocketChannel client) throws IOException {
        String user = client.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName();
        return user.equals("root") || user.equals(AGENT_USER) ? null : user;
    }
}
