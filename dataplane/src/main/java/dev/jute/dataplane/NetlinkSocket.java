package dev.jute.dataplane;

import com.sun.jna.NativeLong;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@code NETLINK_ROUTE} socket. A netlink socket belongs to the network namespace of the thread
 * that created it, forever: {@link #openIn(NetNamespace)} enters the namespace, creates the socket
 * and leaves again, after which the socket can be used from any thread (virtual ones included).
 *
 * <p>Requests are request/acknowledge exchanges matched by sequence number; replies to an earlier
 * request that timed out are recognised by their old sequence number and dropped. The socket is
 * thread-safe: requests are serialised by a lock, so one socket carries one request at a time.
 * Use one socket per namespace and operation rather than sharing one socket across a busy agent.
 */
public final class NetlinkSocket implements AutoCloseable {

    /** Large enough for any dump datagram the kernel builds (it caps them at 32 KiB). */
    private static final int RECEIVE_BUFFER_BYTES = 64 * 1024;
    /** The kernel answers in microseconds; a silent kernel is a bug worth an error, not a hang. */
    private static final int REPLY_TIMEOUT_SECONDS = 10;
    private static final int DUMP_ATTEMPTS = 5;
    private static final int MSG_TRUNC = 0x20;
    private static final int SOCKADDR_NL_LENGTH = 12;

    private final int fd;
    private final ReentrantLock lock = new ReentrantLock();
    private final byte[] receiveBuffer = new byte[RECEIVE_BUFFER_BYTES];
    private int lastSequence;
    private boolean closed;

    private NetlinkSocket(int fd) {
        this.fd = fd;
    }

    /** Opens a socket in the calling thread's network namespace. */
    public static NetlinkSocket open() {
        int fd = LibC.check(LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC,
                NetlinkConstants.NETLINK_ROUTE), "socket(AF_NETLINK, NETLINK_ROUTE)");
        try {
            ByteBuffer address = ByteBuffer.allocate(SOCKADDR_NL_LENGTH).order(ByteOrder.nativeOrder());
            address.putShort((short) LibC.AF_NETLINK).putShort((short) 0).putInt(0).putInt(0);
            LibC.check(LibC.bind(fd, address.array(), SOCKADDR_NL_LENGTH), "bind(AF_NETLINK)");
            // Best effort: kernels without them still work, with terser errors.
            setIntOption(fd, LibC.SOL_NETLINK, NetlinkConstants.NETLINK_EXT_ACK, 1);
            setIntOption(fd, LibC.SOL_NETLINK, NetlinkConstants.NETLINK_CAP_ACK, 1);
            ByteBuffer timeout = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            timeout.putLong(REPLY_TIMEOUT_SECONDS).putLong(0);
            LibC.check(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeout.array(), 16),
                    "setsockopt(SO_RCVTIMEO)");
            return new NetlinkSocket(fd);
        } catch (RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /**
     * Opens a socket that lives in {@code namespace}; the calling thread ends in the namespace it
     * started in. On a virtual thread (which must never {@code setns}) the enter-open-leave step runs
     * on a short-lived platform thread instead; that thread starts in the namespace of the carrier,
     * which is the process's, and ends with the step.
     */
    public static NetlinkSocket openIn(NetNamespace namespace) {
        if (!Thread.currentThread().isVirtual()) {
            return openInOnThisThread(namespace);
        }
        FutureTask<NetlinkSocket> task = new FutureTask<>(() -> openInOnThisThread(namespace));
        Thread helper = Thread.ofPlatform().name("jute-netns-open").daemon().start(task);
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // The helper still finishes; close the socket it may produce so the descriptor does not leak.
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    helper.join();
                    task.get().close();
                } catch (Exception ignored) {
                    // nothing was opened
                }
            });
            throw new IllegalStateException("interrupted while opening a netlink socket in " + namespace, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("cannot open netlink socket in " + namespace, e.getCause());
        }
    }

    private static NetlinkSocket openInOnThisThread(NetNamespace namespace) {
        try {
            return namespace.call(NetlinkSocket::open);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot open netlink socket in " + namespace, e);
        }
    }

    private static void setIntOption(int fd, int level, int option, int value) {
        ByteBuffer bytes = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value);
        LibC.setsockopt(fd, level, option, bytes.array(), 4);
    }

    /** Sends a request that changes something and waits for the kernel's acknowledgement. */
    public void execute(NetlinkMessageBuilder request) {
        exchange(request, NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK);
    }

    /** Sends a non-dump GET request and returns the replies that precede the acknowledgement. */
    public List<NetlinkMessage> query(NetlinkMessageBuilder request) {
        return exchange(request, NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK).messages();
    }

    /**
     * Sends a dump request and returns every message of the (multipart) answer. A dump that the
     * kernel marks as interrupted (the table changed meanwhile, {@code NLM_F_DUMP_INTR}) is retried,
     * so the result is a consistent snapshot.
     */
    public List<NetlinkMessage> dump(NetlinkMessageBuilder request) {
        for (int attempt = 1; ; attempt++) {
            Exchange answer = exchange(request, NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_DUMP);
            if (!answer.interrupted()) {
                return answer.messages();
            }
            if (attempt == DUMP_ATTEMPTS) {
                throw new NetlinkException(NetlinkConstants.messageTypeName(request.type()) + " dump", Errno.EINTR,
                        "interrupted by concurrent changes " + DUMP_ATTEMPTS + " times");
            }
        }
    }

    private record Exchange(List<NetlinkMessage> messages, boolean interrupted) {
    }

    private Exchange exchange(NetlinkMessageBuilder request, int requestFlags) {
        String name = NetlinkConstants.messageTypeName(request.type());
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("netlink socket is closed");
            }
            int sequence = ++lastSequence;
            byte[] message = request.toBytes(sequence, requestFlags);
            long sent = LibC.check(LibC.send(fd, message, new NativeLong(message.length), 0), "send " + name);
            if (sent != message.length) {
                throw new IllegalStateException("netlink send of " + name + " was cut short: " + sent + " of "
                                                + message.length + " bytes");
            }
            List<NetlinkMessage> replies = new ArrayList<>();
            boolean interrupted = false;
            while (true) {
                for (NetlinkMessage reply : split(receiveDatagram(name))) {
                    if (reply.sequence() != sequence) {
                        continue; // a late answer to an earlier request that gave up
                    }
                    interrupted |= (reply.flags() & NetlinkConstants.NLM_F_DUMP_INTR) != 0;
                    switch (reply.type()) {
                        case NetlinkConstants.NLMSG_NOOP -> {
                        }
                        case NetlinkConstants.NLMSG_ERROR -> {
                            NetlinkException error = errorOf(reply, name);
                            if (error != null) {
                                throw error;
                            }
                            return new Exchange(replies, interrupted);
                        }
                        case NetlinkConstants.NLMSG_DONE -> {
                            ByteBuffer payload = reply.payload();
                            if (payload.limit() >= 4 && payload.getInt(0) < 0) {
                                throw new NetlinkException(name, -payload.getInt(0), null);
                            }
                            return new Exchange(replies, interrupted);
                        }
                        case NetlinkConstants.NLMSG_OVERRUN ->
                                throw new NetlinkException(name, Errno.ENOBUFS, "netlink overrun");
                        default -> replies.add(reply);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private ByteBuffer receiveDatagram(String requestName) {
        while (true) {
            long received = LibC.recv(fd, receiveBuffer, new NativeLong(receiveBuffer.length), MSG_TRUNC).longValue();
            if (received < 0) {
                int errno = LibC.lastErrno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                if (errno == Errno.EAGAIN) {
                    throw new NetlinkException(requestName, errno,
                            "no reply from the kernel within " + REPLY_TIMEOUT_SECONDS + " s");
                }
                throw new ErrnoException("recv " + requestName, errno);
            }
            if (received > receiveBuffer.length) {
                throw new NetlinkException(requestName, Errno.ENOBUFS,
                        "reply of " + received + " bytes does not fit the " + receiveBuffer.length + "-byte buffer");
            }
            // Copy: replies outlive this receive buffer, which the next datagram overwrites.
            byte[] datagram = new byte[(int) received];
            System.arraycopy(receiveBuffer, 0, datagram, 0, datagram.length);
            return ByteBuffer.wrap(datagram).order(ByteOrder.nativeOrder());
        }
    }

    /** Splits one datagram into its netlink messages. */
    static List<NetlinkMessage> split(ByteBuffer datagram) {
        List<NetlinkMessage> messages = new ArrayList<>();
        int offset = 0;
        int end = datagram.limit();
        while (offset + NetlinkConstants.NLMSG_HDRLEN <= end) {
            int length = datagram.getInt(offset);
            if (length < NetlinkConstants.NLMSG_HDRLEN || length > end - offset) {
                throw new IllegalArgumentException("malformed netlink message: length " + length + " at offset "
                                                   + offset + " of a " + end + "-byte datagram");
            }
            int type = Short.toUnsignedInt(datagram.getShort(offset + 4));
            int flags = Short.toUnsignedInt(datagram.getShort(offset + 6));
            int sequence = datagram.getInt(offset + 8);
            int portId = datagram.getInt(offset + 12);
            ByteBuffer payload = datagram.slice(offset + NetlinkConstants.NLMSG_HDRLEN,
                    length - NetlinkConstants.NLMSG_HDRLEN).order(ByteOrder.nativeOrder());
            messages.add(new NetlinkMessage(type, flags, sequence, portId, payload));
            offset += NetlinkConstants.align(length);
        }
        return messages;
    }

    /** The exception an {@code NLMSG_ERROR} message stands for, or null if it is a plain ACK. */
    static NetlinkException errorOf(NetlinkMessage reply, String requestName) {
        ByteBuffer payload = reply.payload();
        if (payload.limit() < 4) {
            throw new IllegalArgumentException("truncated NLMSG_ERROR for " + requestName);
        }
        int error = payload.getInt(0);
        if (error == 0) {
            return null;
        }
        String kernelMessage = null;
        if ((reply.flags() & NetlinkConstants.NLM_F_ACK_TLVS) != 0 && payload.limit() >= 4 + NetlinkConstants.NLMSG_HDRLEN) {
            int echoedLength = (reply.flags() & NetlinkConstants.NLM_F_CAPPED) != 0
                    ? NetlinkConstants.NLMSG_HDRLEN
                    : NetlinkConstants.align(payload.getInt(4));
            int attributesStart = 4 + echoedLength;
            if (attributesStart <= payload.limit()) {
                kernelMessage = NetlinkAttributes.parse(payload, attributesStart, payload.limit())
                        .string(NetlinkConstants.NLMSGERR_ATTR_MSG).orElse(null);
            }
        }
        return new NetlinkException(requestName, -error, kernelMessage);
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                LibC.close(fd);
            }
        } finally {
            lock.unlock();
        }
    }
}
