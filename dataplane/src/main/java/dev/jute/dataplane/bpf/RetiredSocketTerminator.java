package dev.jute.dataplane.bpf;

import com.sun.jna.NativeLong;
import dev.jute.dataplane.LibC;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Destroys the host sockets the socket-LB connected to backends that have left their service
 * ({@code sock_term.c}): BPF iterators over the TCP and UDP sockets of the calling thread's network
 * namespace that abort ({@code bpf_sock_destroy}, Linux 6.5+) every socket whose peer is a backend
 * the socket-LB chose for it ({@code sock_revnat}) and its service no longer lists
 * ({@code live_backends}). It is the socket-LB's counterpart of the tc path's retirement, which resets
 * a connection on its next packet: socket-LB connections never pass {@code nat_ct}.
 *
 * <p>A pass needs no input: the maps already say what is retired, so a pass after every write that
 * retired something (or after a restart) finds exactly the sockets left behind. It walks every TCP
 * and UDP socket of the namespace once.
 */
public final class RetiredSocketTerminator implements AutoCloseable {

    public static final String OBJECT = "sock_term";
    private static final String RESOURCE = "/bpf/" + OBJECT + ".o";
    static final String TCP_PROGRAM = "sock_term_tcp";
    static final String UDP_PROGRAM = "sock_term_udp";

    /** {@code BPF_TRACE_ITER}. */
    private static final int ATTACH_TRACE_ITER = 28;

    /** Record kinds and sizes of the iterators' output (sock_term.c). */
    private static final int TERMINATED_RECORD = 1;
    private static final int TERMINATED_SIZE = 40;
    private static final int SUMMARY_RECORD = 2;
    private static final int SUMMARY_SIZE = 16;
    private static final int DESTROY_FAILED_RECORD = 3;
    private static final int DESTROY_FAILED_SIZE = 16;
    private static final int READ_SIZE = 64 * 1024;
    private static final int EINTR = 4;

    /** A socket of a retired backend a pass found: what it was connected to, through which service. */
    public record TerminatedSocket(int protocol, InetAddress backendAddress, int backendPort, int serviceId, long cookie) {
        @Override
        public String toString() {
            return (protocol == ServiceFrontend.TCP ? "tcp" : "udp") + " socket " + cookie + " to "
                   + backendAddress.getHostAddress() + ":" + backendPort + " (service " + serviceId + ")";
        }
    }

    /**
     * A socket of a retired backend the kernel refused to destroy ({@code bpf_sock_destroy} failed with
     * {@code errno}): it stays connected, and its translation stays for the next pass to try again.
     */
    public record FailedTermination(TerminatedSocket socket, int errno) {
        @Override
        public String toString() {
            return socket + ": destroy failed, errno " + errno;
        }
    }

    /**
     * What one pass did: how many sockets it looked at, which it destroyed, which it could not destroy,
     * and how long it took.
     */
    public record Pass(int socketsWalked, List<TerminatedSocket> terminated, List<FailedTermination> failed, long nanos) {
        public Pass {
            terminated = List.copyOf(terminated);
            failed = List.copyOf(failed);
        }
    }

    private final BpfObject object;
    private final int tcpLink;
    private final int udpLink;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RetiredSocketTerminator(BpfObject object, int tcpLink, int udpLink) {
        this.object = object;
        this.tcpLink = tcpLink;
        this.udpLink = udpLink;
    }

    /**
     * Loads the iterators on the Service maps pinned under {@code pinDirectory} (creating them when
     * nothing is pinned yet, as every loader of these maps does).
     *
     * @throws IllegalStateException when the object is missing or a pinned map was made by an incompatible version
     * @throws BpfException          when the kernel refuses the programs, e.g. a kernel before 6.5
     *                               has no {@code bpf_sock_destroy} (the loader's reason is in the message)
     */
    public static RetiredSocketTerminator open(Path pinDirectory) {
        Objects.requireNonNull(pinDirectory, "pinDirectory");
        BpfFilesystem.requirePinDirectory(pinDirectory);
        BpfObject object = BpfObject.load("jute_" + OBJECT, resource(), pinDirectory, TCP_PROGRAM, UDP_PROGRAM);
        int tcpLink = -1;
        try {
            tcpLink = iteratorLink(object.program(TCP_PROGRAM));
            int udpLink = iteratorLink(object.program(UDP_PROGRAM));
            return new RetiredSocketTerminator(object, tcpLink, udpLink);
        } catch (RuntimeException e) {
            if (tcpLink >= 0) {
                Libbpf.close(tcpLink);
            }
            object.close();
            throw e;
        }
    }

    private static byte[] resource() {
        try (InputStream in = RetiredSocketTerminator.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("BPF object " + RESOURCE + " is not on the class path: the dataplane"
                                                + " module was built without clang (/usr/bin/clang)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BPF object " + RESOURCE, e);
        }
    }

    /** An iterator link: a program bound to its target ({@code tcp}, {@code udp}), from which walks are started. */
    private static int iteratorLink(BpfProgram program) {
        int fd = Libbpf.bpf_link_create(program.fd(), 0, ATTACH_TRACE_ITER, null);
        if (fd < 0) {
            throw new BpfException("create the iterator link of " + program.name(), -fd);
        }
        return fd;
    }

    /**
     * Destroys the retired backends' sockets of the calling thread's network namespace (an iterator
     * shows the sockets of the namespace of the thread that starts it).
     */
    public synchronized Pass terminate() {
        if (closed.get()) {
            throw new IllegalStateException("socket terminator is closed");
        }
        long started = System.nanoTime();
        List<TerminatedSocket> terminated = new ArrayList<>();
        List<FailedTermination> failed = new ArrayList<>();
        int walked = walk(tcpLink, TCP_PROGRAM, terminated, failed) + walk(udpLink, UDP_PROGRAM, terminated, failed);
        return new Pass(walked, terminated, failed, System.nanoTime() - started);
    }

    /** One walk of an iterator: adds what it destroyed and failed to destroy, returns how many sockets it showed. */
    private static int walk(int linkFd, String program, List<TerminatedSocket> terminated, List<FailedTermination> failed) {
        int iterFd = Libbpf.bpf_iter_create(linkFd);
        if (iterFd < 0) {
            throw new BpfException("start a walk of " + program, -iterFd);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try {
            byte[] buffer = new byte[READ_SIZE];
            while (true) {
                long n = LibC.read(iterFd, buffer, new NativeLong(buffer.length)).longValue();
                if (n == 0) {
                    break;
                }
                if (n < 0) {
                    int errno = LibC.lastErrno();
                    if (errno == EINTR) {
                        continue;
                    }
                    throw new BpfException("read the walk of " + program, errno);
                }
                output.write(buffer, 0, (int) n);
            }
        } finally {
            Libbpf.close(iterFd);
        }
        return parse(program, output.toByteArray(), terminated, failed);
    }

    /**
     * Reads one walk's records: a socket record each, followed by a failure record when its destroy
     * failed, then the summary. Returns the sockets walked.
     */
    static int parse(String program, byte[] output, List<TerminatedSocket> terminated, List<FailedTermination> failed) {
        ByteBuffer records = ByteBuffer.wrap(output).order(ByteOrder.LITTLE_ENDIAN);
        Integer walked = null;
        TerminatedSocket previous = null;
        while (records.hasRemaining()) {
            int start = records.position();
            int kind = records.get(start) & 0xff;
            if (kind == TERMINATED_RECORD && records.remaining() >= TERMINATED_SIZE) {
                previous = terminatedSocket(records, start);
                terminated.add(previous);
                records.position(start + TERMINATED_SIZE);
            } else if (kind == DESTROY_FAILED_RECORD && records.remaining() >= DESTROY_FAILED_SIZE && previous != null
                       && records.getLong(start + 8) == previous.cookie()) {
                terminated.removeLast();
                failed.add(new FailedTermination(previous, -records.getInt(start + 4)));
                previous = null;
                records.position(start + DESTROY_FAILED_SIZE);
            } else if (kind == SUMMARY_RECORD && records.remaining() >= SUMMARY_SIZE && walked == null) {
                walked = (int) records.getLong(start + 8);
                records.position(start + SUMMARY_SIZE);
                previous = null;
            } else {
                throw new IllegalStateException(program + " wrote an unreadable record at byte " + start + " of "
                                                + output.length + " (kind " + kind + ")");
            }
        }
        if (walked == null) {
            throw new IllegalStateException(program + " ended without its summary record");
        }
        return walked;
    }

    private static TerminatedSocket terminatedSocket(ByteBuffer records, int start) {
        int protocol = records.get(start + 1) & 0xff;
        int family = records.get(start + 2) & 0xff;
        int port = records.getShort(start + 4) & 0xffff;
        int serviceId = records.getInt(start + 8);
        long cookie = records.getLong(start + 16);
        byte[] address = new byte[family == 4 ? 4 : 16];
        records.get(start + 24, address);
        try {
            return new TerminatedSocket(protocol, InetAddress.getByAddress(address), port, serviceId, cookie);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("impossible address length " + address.length, e);
        }
    }

    /** Releases the iterator links and programs (nothing of them is pinned); waits for a running {@link #terminate}. */
    @Override
    public synchronized void close() {
        if (closed.compareAndSet(false, true)) {
            Libbpf.close(tcpLink);
            Libbpf.close(udpLink);
            object.close();
        }
    }
}
