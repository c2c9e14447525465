package dev.jute.inbox.cluster;

import dev.jute.dataplane.LibC;
import dev.jute.inbox.Command;
import dev.jute.inbox.JuteArtifacts;

import com.sun.jna.NativeLong;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A host-network client process of a node (started by {@link InboxCluster#hostNetworkCommand} in the
 * node's namespace and socket-LB cgroup). It uses plain socket system calls, so what it prints is what
 * the kernel (and the socket-LB hooks) told it: {@code getpeername} after connect, the source address
 * {@code recvfrom} reports for an unconnected UDP socket.
 *
 * <pre>
 * tcp ADDRESS PORT COUNT [--v6]     COUNT connections; per line: ok ANSWER peer=ADDR:PORT us=CONNECT_MICROS
 *                                   or: error MESSAGE us=MICROS
 * udp ADDRESS PORT [--v6]           one unconnected sendto + recvfrom: ok ANSWER from=ADDR:PORT, or error ...
 * connect-latency ADDRESS PORT N    N connects (closed at once); prints p50_us=.. p90_us=.. p99_us=.. n=N
 * </pre>
 * {@code --v6} uses an IPv6 socket with the IPv4-mapped address, as dual-stack programs (Java) do.
 */
public final class HostNetworkClient {

    private static final int SO_SNDTIMEO = 21;
    private static final int TIMEOUT_SECONDS = 2;

    private HostNetworkClient() {
    }

    /** The command line that runs this client with {@code args} (a JVM on the harness's class path). */
    public static List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of(JuteArtifacts.java().toString(), "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                HostNetworkClient.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Runs the client as a host-network process of {@code node} (its namespace and socket-LB cgroup);
     * its output lines.
     *
     * @throws IllegalStateException when the client fails as a whole (not when a connection is refused)
     */
    public static List<String> runOn(InboxCluster cluster, String node, Duration timeout, String... args) {
        return run(cluster.hostNetworkCommand(node, command(args).toArray(String[]::new)), timeout);
    }

    /** Runs a command line made with {@link #command}; its output lines. */
    public static List<String> run(List<String> commandLine, Duration timeout) {
        Command.Result result = Command.run(commandLine, null, Map.of(), timeout);
        if (!result.ok()) {
            throw new IllegalStateException("host-network client failed (" + result.exitCode() + "): " + result.stderr()
                                            + result.stdout());
        }
        return result.stdout().lines().filter(line -> !line.isBlank()).toList();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: tcp|udp|udp-hold|connect-latency ADDRESS PORT [COUNT] [--v6]");
            System.exit(2);
        }
        boolean v6 = Arrays.asList(args).contains("--v6");
        InetAddress address = InetAddress.ofLiteral(args[1]);
        int port = Integer.parseInt(args[2]);
        switch (args[0]) {
            case "tcp" -> {
                int count = args.length > 3 && !args[3].startsWith("--") ? Integer.parseInt(args[3]) : 1;
                for (int i = 0; i < count; i++) {
                    System.out.println(tcp(address, port, v6));
                }
            }
            case "udp" -> System.out.println(udp(address, port, v6));
            case "connect-latency" -> System.out.println(connectLatency(address, port, Integer.parseInt(args[3]), v6));
            case "udp-hold" -> udpHold(address, port, Integer.parseInt(args[3]), v6);
            default -> {
                System.err.println("unknown mode " + args[0]);
                System.exit(2);
            }
        }
    }

    private static String tcp(InetAddress address, int port, boolean v6) {
        int fd = socket(v6, LibC.SOCK_STREAM);
        try {
            long started = System.nanoTime();
            byte[] peer = sockaddr(address, port, v6);
            if (LibC.connect(fd, peer, peer.length) < 0) {
                int errno = LibC.lastErrno();
                return "error " + LibC.describe(errno) + " us=" + (System.nanoTime() - started) / 1000;
            }
            long connectMicros = (System.nanoTime() - started) / 1000;
            byte[] name = new byte[28];
            int[] length = {name.length};
            LibC.check(LibC.getpeername(fd, name, length), "getpeername");
            StringBuilder answer = new StringBuilder();
            byte[] buffer = new byte[512];
            long read;
            while ((read = LibC.recv(fd, buffer, new NativeLong(buffer.length), 0).longValue()) > 0) {
                answer.append(new String(buffer, 0, (int) read, StandardCharsets.UTF_8));
            }
            if (read < 0) {
                return "error " + LibC.describe(LibC.lastErrno()) + " us=" + connectMicros;
            }
            return "ok " + answer.toString().strip() + " peer=" + describe(name) + " us=" + connectMicros;
        } finally {
            LibC.close(fd);
        }
    }

    private static String udp(InetAddress address, int port, boolean v6) {
        int fd = socket(v6, LibC.SOCK_DGRAM);
        try {
            byte[] to = sockaddr(address, port, v6);
            byte[] request = "probe".getBytes(StandardCharsets.UTF_8);
            if (LibC.sendto(fd, request, new NativeLong(request.length), 0, to, to.length).longValue() < 0) {
                return "error " + LibC.describe(LibC.lastErrno());
            }
            byte[] buffer = new byte[512];
            byte[] from = new byte[28];
            int[] length = {from.length};
            long read = LibC.recvfrom(fd, buffer, new NativeLong(buffer.length), 0, from, length).longValue();
            if (read < 0) {
                return "error " + LibC.describe(LibC.lastErrno());
            }
            return "ok " + new String(buffer, 0, (int) read, StandardCharsets.UTF_8).strip() + " from=" + describe(from);
        } finally {
            LibC.close(fd);
        }
    }

    /** {@code MSG_DONTWAIT}, and the errno of a non-blocking read with nothing to read. */
    private static final int MSG_DONTWAIT = 0x40;
    private static final int EAGAIN = 11;

    /**
     * Holds {@code count} connected UDP sockets: prints "ok INDEX NAME" for each (the backend that
     * answered its first datagram), then for every line on stdin probes them all with a non-blocking
     * read, printing "alive INDEX" (nothing pending) or "error INDEX ERRNO" (a destroyed socket's
     * ECONNABORTED), then "done". Ends with stdin.
     */
    private static void udpHold(InetAddress address, int port, int count, boolean v6) throws Exception {
        byte[] to = sockaddr(address, port, v6);
        int[] sockets = new int[count];
        for (int i = 0; i < count; i++) {
            sockets[i] = socket(v6, LibC.SOCK_DGRAM);
            LibC.check(LibC.connect(sockets[i], to, to.length), "connect");
            byte[] request = "probe".getBytes(StandardCharsets.UTF_8);
            LibC.check(LibC.send(sockets[i], request, new NativeLong(request.length), 0), "send");
            byte[] buffer = new byte[512];
            long read = LibC.check(LibC.recv(sockets[i], buffer, new NativeLong(buffer.length), 0), "recv");
            System.out.println("ok " + i + " " + new String(buffer, 0, (int) read, StandardCharsets.UTF_8).strip());
        }
        System.out.flush();
        var stdin = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (stdin.readLine() != null) {
            for (int i = 0; i < count; i++) {
                byte[] buffer = new byte[512];
                long read = LibC.recv(sockets[i], buffer, new NativeLong(buffer.length), MSG_DONTWAIT).longValue();
                int errno = read < 0 ? LibC.lastErrno() : 0;
                System.out.println(read >= 0 || errno == EAGAIN ? "alive " + i : "error " + i + " " + errno);
            }
            System.out.println("done");
            System.out.flush();
        }
        for (int fd : sockets) {
            LibC.close(fd);
        }
    }

    private static String connectLatency(InetAddress address, int port, int count, boolean v6) {
        byte[] peer = sockaddr(address, port, v6);
        long[] micros = new long[count];
        for (int i = 0; i < count; i++) {
            int fd = socket(v6, LibC.SOCK_STREAM);
            try {
                long started = System.nanoTime();
                LibC.check(LibC.connect(fd, peer, peer.length), "connect");
                micros[i] = (System.nanoTime() - started) / 1000;
            } finally {
                LibC.close(fd);
            }
        }
        Arrays.sort(micros);
        return "p50_us=" + micros[count / 2] + " p90_us=" + micros[count * 9 / 10] + " p99_us=" + micros[count * 99 / 100]
               + " n=" + count;
    }

    /** A socket with receive and send (connect) timeouts, so nothing hangs. */
    private static int socket(boolean v6, int type) {
        int fd = LibC.check(LibC.socket(v6 ? LibC.AF_INET6 : LibC.AF_INET, type | LibC.SOCK_CLOEXEC, 0), "socket");
        byte[] timeval = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(TIMEOUT_SECONDS).putLong(0).array();
        LibC.check(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeval, timeval.length), "SO_RCVTIMEO");
        LibC.check(LibC.setsockopt(fd, LibC.SOL_SOCKET, SO_SNDTIMEO, timeval, timeval.length), "SO_SNDTIMEO");
        return fd;
    }

    /** {@code struct sockaddr_in} or, with {@code v6}, {@code sockaddr_in6} (an IPv4 address as ::ffff:a.b.c.d). */
    static byte[] sockaddr(InetAddress address, int port, boolean v6) {
        if (!v6) {
            if (!(address instanceof Inet4Address)) {
                throw new IllegalArgumentException("an IPv6 address needs --v6: " + address);
            }
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            b.putShort((short) LibC.AF_INET).order(ByteOrder.BIG_ENDIAN).putShort((short) port).put(address.getAddress());
            return b.array();
        }
        byte[] raw = address.getAddress();
        if (raw.length == 4) {
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(raw, 0, mapped, 12, 4);
            raw = mapped;
        }
        ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder());
        b.putShort((short) LibC.AF_INET6).order(ByteOrder.BIG_ENDIAN).putShort((short) port).putInt(0).put(raw);
        return b.array();
    }

    /** ADDRESS:PORT of a sockaddr the kernel filled in (IPv4-mapped IPv6 shown as the IPv4 address). */
    static String describe(byte[] sockaddr) {
        ByteBuffer b = ByteBuffer.wrap(sockaddr).order(ByteOrder.nativeOrder());
        int family = b.getShort(0);
        int port = Short.toUnsignedInt(ByteBuffer.wrap(sockaddr, 2, 2).order(ByteOrder.BIG_ENDIAN).getShort());
        try {
            InetAddress address = family == LibC.AF_INET ? InetAddress.getByAddress(Arrays.copyOfRange(sockaddr, 4, 8))
                    : InetAddress.getByAddress(Arrays.copyOfRange(sockaddr, 8, 24));
            return address.getHostAddress() + ":" + port;
        } catch (UnknownHostException e) {
            return "family " + family;
        }
    }
}
