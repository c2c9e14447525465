package dev.jute.dataplane.bpf;

import com.sun.jna.Memory;
import dev.jute.dataplane.Errno;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * A BPF program attached as a direct-action classifier to a link's tc ingress or egress hook
 * (the {@code clsact} qdisc, created when missing). Jute's filter always uses the same handle and
 * priority, so attaching again atomically replaces the program (idempotent, and how a restarted
 * agent swaps in its freshly loaded programs without a moment unfiltered).
 *
 * <p>Netlink calls act on the calling thread's network namespace: run them inside
 * {@code NetNamespace.call} for links of another namespace. The attachment outlives the process;
 * it ends with {@link #detach}, or when the link is deleted.
 */
public record TcAttachment(int ifindex, Hook hook, int programId) {

    /** Jute's filter handle ("JU") and priority on every hook it uses. */
    public static final int HANDLE = 0x4a55;
    public static final int PRIORITY = 1;

    /** {@code struct bpf_tc_hook} (libbpf 1.1): 0 sz, 8 ifindex, 12 attach_point, 16 parent; 24 bytes. */
    private static final int HOOK_SIZE = 24;
    /** {@code struct bpf_tc_opts}: 0 sz, 8 prog_fd, 12 flags, 16 prog_id, 20 handle, 24 priority; 32 bytes. */
    private static final int OPTS_SIZE = 32;
    private static final int BPF_TC_F_REPLACE = 1;

    /** The tc hook: {@code enum bpf_tc_attach_point}. */
    public enum Hook {
        /** Packets the link receives (for a host-side veth: what the pod sends). */
        INGRESS(1),
        /** Packets the link transmits (for a host-side veth: what the pod receives). */
        EGRESS(2);

        private final int attachPoint;

        Hook(int attachPoint) {
            this.attachPoint = attachPoint;
        }
    }

    public TcAttachment {
        Objects.requireNonNull(hook, "hook");
    }

    /**
     * Attaches {@code program} to {@code hook} of link {@code ifindex}, replacing Jute's filter if
     * one is there.
     *
     * @throws BpfException with ENODEV when the link does not exist in this namespace
     */
    public static TcAttachment attach(int ifindex, Hook hook, BpfProgram program) {
        Libbpf.ensureLoaded();
        Memory hookStruct = hook(ifindex, hook);
        LibbpfLog.Captured created = LibbpfLog.capture(() -> Libbpf.bpf_tc_hook_create(hookStruct));
        if (created.result() < 0 && created.result() != -Errno.EEXIST) {
            throw new BpfException("create clsact qdisc on link " + ifindex, -created.result(), created.detail());
        }
        Memory options = options();
        options.setInt(8, program.fd());
        options.setInt(12, BPF_TC_F_REPLACE);
        LibbpfLog.Captured attached = LibbpfLog.capture(() -> Libbpf.bpf_tc_attach(hookStruct, options));
        if (attached.result() < 0) {
            throw new BpfException("attach " + program.name() + " to tc " + hook.name().toLowerCase() + " of link "
                                   + ifindex, -attached.result(), attached.detail());
        }
        return new TcAttachment(ifindex, hook, options.getInt(16));
    }

    /** The id of the program in Jute's filter on {@code hook} of link {@code ifindex}, if any. */
    public static OptionalInt attachedProgramId(int ifindex, Hook hook) {
        Libbpf.ensureLoaded();
        Memory options = options();
        Memory hookStruct = hook(ifindex, hook);
        LibbpfLog.Captured queried = LibbpfLog.capture(() -> Libbpf.bpf_tc_query(hookStruct, options));
        int result = queried.result();
        if (result == -Errno.ENOENT || result == -Errno.EINVAL) {
            // EINVAL: no clsact qdisc on the link at all.
            return OptionalInt.empty();
        }
        if (result < 0) {
            throw new BpfException("query tc " + hook.name().toLowerCase() + " of link " + ifindex, -result, queried.detail());
        }
        return OptionalInt.of(options.getInt(16));
    }

    /** Removes Jute's filter from {@code hook} of link {@code ifindex}; whether one was there. */
    public static boolean detach(int ifindex, Hook hook) {
        Libbpf.ensureLoaded();
        Memory hookStruct = hook(ifindex, hook);
        Memory options = options();
        LibbpfLog.Captured detached = LibbpfLog.capture(() -> Libbpf.bpf_tc_detach(hookStruct, options));
        int result = detached.result();
        if (result == -Errno.ENOENT || result == -Errno.EINVAL || result == -Errno.ENODEV) {
            return false;
        }
        if (result < 0) {
            throw new BpfException("detach from tc " + hook.name().toLowerCase() + " of link " + ifindex, -result,
                    detached.detail());
        }
        return true;
    }

    /** Removes this attachment's filter; whether it was still there. */
    public boolean detach() {
        return detach(ifindex, hook);
    }

    private static Memory hook(int ifindex, Hook hook) {
        if (ifindex <= 0) {
            throw new IllegalArgumentException("bad interface index " + ifindex);
        }
        Memory memory = new Memory(HOOK_SIZE);
        memory.clear();
        memory.setLong(0, HOOK_SIZE);
        memory.setInt(8, ifindex);
        memory.setInt(12, hook.attachPoint);
        return memory;
    }

    private static Memory options() {
        Memory memory = new Memory(OPTS_SIZE);
        memory.clear();
        memory.setLong(0, OPTS_SIZE);
        memory.setInt(20, HANDLE);
        memory.setInt(24, PRIORITY);
        return memory;
    }
}
