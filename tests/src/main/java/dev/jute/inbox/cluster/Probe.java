package dev.jute.inbox.cluster;

import com.sun.nio.sctp.SctpChannel;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One probe with real traffic from inside a pod's namespace: connect (TCP, SCTP) or request and reply
 * (UDP) to an address and port, and read the server's answer (the serving pod's name). Reachable means
 * the answer arrived; refused, timed out or silent means not.
 */
public final class Probe {

    /** What one probe saw. */
    public record Result(boolean reachable, String answer, String error) {
        static Result ok(String answer) {
            return new Result(true, answer, null);
        }

        static Result failed(String error) {
            return new Result(false, null, error);
        }
    }

    private Probe() {
    }

    public static Result run(Path fromNetns, String protocol, InetAddress to, int port, Duration timeout) {
        try {
            return switch (protocol) {
                case "TCP" -> tcp(fromNetns, to, port, timeout);
                case "UDP" -> udp(fromNetns, to, port, timeout);
                case "SCTP" -> sctp(fromNetns, to, port, timeout);
                default -> Result.failed("unknown protocol " + protocol);
            };
        } catch (SocketTimeoutException e) {
            return Result.failed("timed out");
        } catch (Exception e) {
            return Result.failed(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    private static Result tcp(Path netns, InetAddress to, int port, Duration timeout) throws Exception {
        try (SocketChannel channel = NetnsSockets.tcp(netns)) {
            channel.socket().connect(new InetSocketAddress(to, port), (int) timeout.toMillis());
            channel.socket().setSoTimeout((int) timeout.toMillis());
            byte[] answer = channel.socket().getInputStream().readAllBytes();
            return Result.ok(new String(answer, StandardCharsets.UTF_8).strip());
        }
    }

    /** UDP can lose a datagram even when reachable, so a few requests are sent within the timeout. */
    private static Result udp(Path netns, InetAddress to, int port, Duration timeout) throws Exception {
        try (DatagramChannel channel = NetnsSockets.udp(netns)) {
            channel.connect(new InetSocketAddress(to, port));
            channel.configureBlocking(false);
            try (Selector selector = Selector.open()) {
                channel.register(selector, SelectionKey.OP_READ);
                long deadline = System.nanoTime() + timeout.toNanos();
                int attempts = 3;
                long slice = timeout.toMillis() / attempts;
                ByteBuffer buffer = ByteBuffer.allocate(2048);
                while (System.nanoTime() < deadline) {
                    try {
                        channel.write(ByteBuffer.wrap("probe".getBytes(StandardCharsets.UTF_8)));
                    } catch (IOException e) {
                        // ICMP port unreachable from an earlier attempt surfaces here (without a message).
                        return Result.failed(describe(e));
                    }
                    long wait = Math.max(1, Math.min(slice, (deadline - System.nanoTime()) / 1_000_000));
                    if (selector.select(wait) > 0) {
                        selector.selectedKeys().clear();
                        try {
                            if (channel.read(buffer) > 0) {
                                buffer.flip();
                                return Result.ok(StandardCharsets.UTF_8.decode(buffer).toString().strip());
                            }
                        } catch (IOException e) {
                            return Result.failed(describe(e));
                        }
                    }
                }
                return Result.failed("no reply");
            }
        }
    }

    private static String describe(IOException e) {
        if (e instanceof java.net.PortUnreachableException) {
            return "port unreachable" + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static Result sctp(Path netns, InetAddress to, int port, Duration timeout) throws Exception {
        try (SctpChannel channel = NetnsSockets.sctp(netns)) {
            channel.configureBlocking(false);
            channel.connect(new InetSocketAddress(to, port));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!channel.finishConnect()) {
                if (System.nanoTime() > deadline) {
                    return Result.failed("timed out");
                }
                Thread.sleep(10);
            }
            ByteBuffer buffer = ByteBuffer.allocate(2048);
            while (System.nanoTime() < deadline) {
                if (channel.receive(buffer, null, null) != null) {
                    buffer.flip();
                    return Result.ok(StandardCharsets.UTF_8.decode(buffer).toString().strip());
                }
                Thread.sleep(10);
            }
            return Result.failed("no message");
        }
    }
}
