package dev.jute.dataplane.bpf;

import dev.jute.dataplane.Cgroup2;
import dev.jute.dataplane.LibC;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Socket-level load balancing for host-network processes ({@code sock_lb.c}): cgroup v2 hooks that
 * turn a ClusterIP (any internal-scope frontend) into a backend when a socket of the node's own
 * network namespace connects or sends to it, show the frontend again to recvmsg and getpeername, and
 * forget a connected socket's translation when it closes.
 * Pods are not affected (their namespace cookie differs); they keep the tc path of {@link PolicyDataplane}.
 *
 * <p>The hooks are attached through BPF links pinned beside the maps ({@code cgroup_link_<program>}),
 * so the attachment outlives the agent, and a restarted agent adopts it: {@link #attach} swaps the
 * programs of a pinned link to the same cgroup in place ({@code BPF_LINK_UPDATE}, atomic per hook), and
 * replaces a link to another (or a removed) cgroup. Links attach with multi-program semantics: other
 * programs on the cgroup stay. {@link #detach(Path)} removes them.
 *
 * <p>A translated socket talks to its backend directly, so when that backend leaves the service no
 * packet of it meets the tc path's retirement: {@link #terminateRetiredSockets()} destroys such sockets
 * ({@link RetiredSocketTerminator}) where the kernel can (Linux 6.5+).
 */
public final class SocketLoadBalancer implements AutoCloseable {

    public static final String OBJECT = "sock_lb";
    private static final String RESOURCE = "/bpf/" + OBJECT + ".o";
    static final String LINK_PIN_PREFIX = "cgroup_link_";

    /** {@code BPF_LINK_TYPE_CGROUP}. */
    private static final int LINK_TYPE_CGROUP = 3;

    /** The hooks, with their {@code enum bpf_attach_type} numbers, in the order {@link #attach} attaches them. */
    public enum Hook {
        // The reverse hooks first: a forward translation without them would show the backend's address to
        // recvmsg and getpeername (resolvers drop such UDP replies) and leave sock_revnat entries behind.
        RECVMSG4("sock_recvmsg4", 19, false),
        RECVMSG6("sock_recvmsg6", 20, false),
        GETPEERNAME4("sock_getpeername4", 29, false),
        GETPEERNAME6("sock_getpeername6", 30, false),
        SOCK_RELEASE("sock_release", 34, false),
        CONNECT4("sock_connect4", 10, true),
        CONNECT6("sock_connect6", 11, true),
        SENDMSG4("sock_sendmsg4", 14, true),
        SENDMSG6("sock_sendmsg6", 15, true);

        private final String program;
        private final int attachType;
        private final boolean forward;

        Hook(String program, int attachType, boolean forward) {
            this.program = program;
            this.attachType = attachType;
            this.forward = forward;
        }

        public String program() {
            return program;
        }

        /** Whether the hook translates a frontend into a backend (connect, sendmsg); the others undo or forget it. */
        public boolean forward() {
            return forward;
        }

        Path pin(Path pinDirectory) {
            return pinDirectory.resolve(LINK_PIN_PREFIX + program);
        }
    }

    /** What is attached according to the pins: the cgroup's id (0 if that cgroup was removed) and how many hooks. */
    public record Attachment(long cgroupId, int hooks) {
        public boolean complete() {
            return cgroupId != 0 && hooks == Hook.values().length;
        }
    }

    private final Path pinDirectory;
    private final BpfObject object;
    private final ServiceMaps maps;
    /** Null when the kernel cannot destroy sockets; then {@link #terminationUnavailable} says why. */
    private final RetiredSocketTerminator terminator;
    private final String terminationUnavailable;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SocketLoadBalancer(Path pinDirectory, BpfObject object, ServiceMaps maps, RetiredSocketTerminator terminator,
                               String terminationUnavailable) {
        this.pinDirectory = pinDirectory;
        this.object = object;
        this.maps = maps;
        this.terminator = terminator;
        this.terminationUnavailable = terminationUnavailable;
    }

    /** Why socket-LB cannot run here, if it cannot. */
    public static Optional<String> unavailableReason() {
        if (SocketLoadBalancer.class.getResource(RESOURCE) == null) {
            return Optional.of("BPF object " + RESOURCE + " is not on the class path: the dataplane module was built"
                               + " without clang (/usr/bin/clang)");
        }
        return PolicyDataplane.unavailableReason();
    }

    /**
     * Loads the hooks, adopting (or creating and pinning) the maps under {@code pinDirectory}; nothing
     * is attached yet.
     *
     * @throws IllegalStateException when the object is missing, the directory is not on a BPF
     *                               filesystem, or a pinned map was made by an incompatible version
     * @throws BpfException          when the kernel refuses a program (the verifier's reason is in the message)
     */
    public static SocketLoadBalancer open(Path pinDirectory) {
        Objects.requireNonNull(pinDirectory, "pinDirectory");
        unavailableReason().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
        BpfFilesystem.requirePinDirectory(pinDirectory);
        String[] programs = java.util.Arrays.stream(Hook.values()).map(Hook::program).toArray(String[]::new);
        BpfObject object = BpfObject.load("jute_" + OBJECT, resource(), pinDirectory, programs);
        try {
            ServiceMaps maps = ServiceMaps.ofLoaded(object);
            // Translation works without termination (a kernel before 6.5): only retired sockets then linger.
            RetiredSocketTerminator terminator = null;
            String terminationUnavailable = null;
            try {
                terminator = RetiredSocketTerminator.open(pinDirectory);
            } catch (BpfException | IllegalStateException e) {
                terminationUnavailable = e.getMessage();
            }
            return new SocketLoadBalancer(pinDirectory, object, maps, terminator, terminationUnavailable);
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    private static byte[] resource() {
        try (InputStream in = SocketLoadBalancer.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("BPF object " + RESOURCE + " is not on the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BPF object " + RESOURCE, e);
        }
    }

    /**
     * The cookie of the calling thread's network namespace ({@code SO_NETNS_COOKIE} of a throw-away
     * socket, Linux 5.14+): what {@code bpf_get_netns_cookie} returns for that namespace's sockets.
     */
    public static long currentNetnsCookie() {
        int fd = LibC.check(LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0), "socket");
        try {
            byte[] cookie = new byte[8];
            int[] length = {cookie.length};
            LibC.check(LibC.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_NETNS_COOKIE, cookie, length),
                    "getsockopt SO_NETNS_COOKIE");
            return ByteBuffer.wrap(cookie).order(ByteOrder.nativeOrder()).getLong();
        } finally {
            LibC.close(fd);
        }
    }

    /** The Service maps as this object sees them (the same pinned maps every program shares). */
    public ServiceMaps maps() {
        ensureOpen();
        return maps;
    }

    /**
     * Translates the sockets of the namespace with this cookie ({@link #currentNetnsCookie()} in the
     * node's namespace) and no others.
     */
    public void translateNamespace(long netnsCookie) {
        ensureOpen();
        maps.setSocketLbNetnsCookie(netnsCookie);
    }

    /** Why {@link #terminateRetiredSockets()} does nothing here (the kernel cannot destroy sockets), if so. */
    public Optional<String> terminationUnavailableReason() {
        return Optional.ofNullable(terminationUnavailable);
    }

    /**
     * Destroys the sockets this socket-LB connected to backends that have since left their service
     * (see {@link RetiredSocketTerminator}): their owners read {@code ECONNABORTED}, as a pod's
     * connection through the tc path is reset. One walk of the namespace's TCP and UDP sockets; call it
     * after a write that retired backends, from a thread in the namespace set by
     * {@link #translateNamespace} (the walk sees the calling thread's namespace).
     *
     * @return the pass, or empty when this kernel cannot destroy sockets or no namespace is translated
     * @throws IllegalStateException when the calling thread is in another network namespace
     */
    public Optional<RetiredSocketTerminator.Pass> terminateRetiredSockets() {
        ensureOpen();
        long translated = maps.socketLbNetnsCookie();
        if (terminator == null || translated == 0) {
            return Optional.empty();
        }
        long current = currentNetnsCookie();
        if (current != translated) {
            throw new IllegalStateException("socket termination must run in the translated network namespace (cookie "
                                            + translated + "), this thread is in namespace " + current);
        }
        return Optional.of(terminator.terminate());
    }

    /**
     * Attaches every hook to {@code cgroup} (a cgroup v2 directory; its sockets and those of its
     * descendants are translated), idempotently: a pinned link to this cgroup gets this object's
     * program in place, without a moment in which the hook is missing; a pinned link to another
     * cgroup is detached first. The reverse hooks come before the forward ones, and a failure
     * detaches every hook pinned here (an earlier agent's included): the hooks work all together or
     * not at all, never forward-only.
     *
     * @throws IllegalArgumentException when {@code cgroup} is not a cgroup v2 directory
     * @throws BpfException             when the kernel refuses an attachment or a pin (nothing is attached then)
     */
    public void attach(Path cgroup) {
        ensureOpen();
        if (!Cgroup2.isCgroup2(cgroup)) {
            throw new IllegalArgumentException(cgroup + " is not a cgroup v2 directory");
        }
        long cgroupId = Cgroup2.id(cgroup);
        int cgroupFd = LibC.open(cgroup.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (cgroupFd < 0) {
            throw new BpfException("open cgroup " + cgroup, LibC.lastErrno());
        }
        try {
            for (Hook hook : Hook.values()) {
                attach(hook, cgroupFd, cgroupId, cgroup);
            }
        } catch (RuntimeException e) {
            detachAfterFailure(e);
            throw e;
        } finally {
            LibC.close(cgroupFd);
        }
    }

    /** Detaches every pinned hook, each on its own: one that cannot be detached does not keep the others attached. */
    private void detachAfterFailure(RuntimeException failure) {
        for (Hook hook : forwardFirst()) {
            try {
                detach(hook, pinDirectory);
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }

    private void attach(Hook hook, int cgroupFd, long cgroupId, Path cgroup) {
        BpfProgram program = object.program(hook.program);
        Path pin = hook.pin(pinDirectory);
        if (Files.exists(pin)) {
            int linkFd = openLink(pin);
            try {
                LinkInfo info = LinkInfo.of(linkFd);
                if (info.type() == LINK_TYPE_CGROUP && info.cgroupId() == cgroupId && info.attachType() == hook.attachType) {
                    if (info.programId() != program.id()) {
                        BpfException.check(Libbpf.bpf_link_update(linkFd, program.fd(), null),
                                "replace the program of " + pin);
                    }
                    return;
                }
                // Another cgroup (the option changed) or a removed one: ENOLINK if it is already defunct.
                Libbpf.bpf_link_detach(linkFd);
            } finally {
                Libbpf.close(linkFd);
            }
            deletePin(pin);
        }
        int linkFd = Libbpf.bpf_link_create(program.fd(), cgroupFd, hook.attachType, null);
        if (linkFd < 0) {
            throw new BpfException("attach " + hook.program + " to cgroup " + cgroup, -linkFd);
        }
        try {
            // Closing our descriptor of an unpinned link would detach it again: the pin keeps it.
            BpfException.check(Libbpf.bpf_obj_pin(linkFd, pin.toString()), "pin link of " + hook.program + " at " + pin);
        } finally {
            Libbpf.close(linkFd);
        }
    }

    /**
     * Detaches the hooks pinned under {@code pinDirectory} and removes their pins; how many were pinned.
     * The forward hooks go first, so no moment translates forward only.
     */
    public static int detach(Path pinDirectory) {
        int removed = 0;
        for (Hook hook : forwardFirst()) {
            if (detach(hook, pinDirectory)) {
                removed++;
            }
        }
        return removed;
    }

    private static List<Hook> forwardFirst() {
        List<Hook> hooks = new java.util.ArrayList<>(List.of(Hook.values()));
        hooks.sort(java.util.Comparator.comparing(hook -> !hook.forward));
        return hooks;
    }

    /** Detaches one pinned hook and removes its pin; whether it was pinned. */
    private static boolean detach(Hook hook, Path pinDirectory) {
        Path pin = hook.pin(pinDirectory);
        if (!Files.exists(pin)) {
            return false;
        }
        int linkFd = openLink(pin);
        try {
            Libbpf.bpf_link_detach(linkFd);
        } finally {
            Libbpf.close(linkFd);
        }
        deletePin(pin);
        return true;
    }

    /**
     * What the pins under {@code pinDirectory} attach, or empty when none is pinned. A link whose
     * cgroup was removed reports cgroup id 0.
     */
    public static Optional<Attachment> attachment(Path pinDirectory) {
        long cgroupId = -1;
        int hooks = 0;
        for (Hook hook : Hook.values()) {
            Path pin = hook.pin(pinDirectory);
            if (!Files.exists(pin)) {
                continue;
            }
            int linkFd = openLink(pin);
            try {
                long id = LinkInfo.of(linkFd).cgroupId();
                cgroupId = cgroupId == -1 || cgroupId == id ? id : 0;
                hooks++;
            } finally {
                Libbpf.close(linkFd);
            }
        }
        return hooks == 0 ? Optional.empty() : Optional.of(new Attachment(cgroupId, hooks));
    }

    /** The programs attached to {@code cgroup} by these pins, by hook (for tests and tools). */
    public static List<Hook> hooksAttachedTo(Path pinDirectory, Path cgroup) {
        long cgroupId = Cgroup2.id(cgroup);
        return java.util.Arrays.stream(Hook.values()).filter(hook -> {
            Path pin = hook.pin(pinDirectory);
            if (!Files.exists(pin)) {
                return false;
            }
            int linkFd = openLink(pin);
            try {
                LinkInfo info = LinkInfo.of(linkFd);
                return info.cgroupId() == cgroupId && info.attachType() == hook.attachType;
            } finally {
                Libbpf.close(linkFd);
            }
        }).toList();
    }

    private static int openLink(Path pin) {
        int fd = Libbpf.bpf_obj_get(pin.toString());
        if (fd < 0) {
            throw new BpfException("open pinned link " + pin, -fd);
        }
        return fd;
    }

    private static void deletePin(Path pin) {
        try {
            Files.deleteIfExists(pin);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove pin " + pin, e);
        }
    }

    /** {@code struct bpf_link_info}: 0 type, 4 id, 8 prog_id, 16 cgroup.cgroup_id (u64), 24 cgroup.attach_type. */
    private record LinkInfo(int type, int programId, long cgroupId, int attachType) {
        static LinkInfo of(int linkFd) {
            byte[] info = new byte[64];
            int[] length = {info.length};
            BpfException.check(Libbpf.bpf_obj_get_info_by_fd(linkFd, info, length), "read link info");
            ByteBuffer b = ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN);
            return new LinkInfo(b.getInt(0), b.getInt(8), b.getLong(16), b.getInt(24));
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("socket load balancer " + pinDirectory + " is closed");
        }
    }

    /** Releases this process's descriptors; the pinned links keep the hooks attached. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            if (terminator != null) {
                terminator.close();
            }
            maps.close();
            object.close();
        }
    }
}
