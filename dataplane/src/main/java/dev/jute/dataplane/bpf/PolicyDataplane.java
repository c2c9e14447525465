package dev.jute.dataplane.bpf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The NetworkPolicy half of the eBPF dataplane: the two tc programs every pod's host-side veth
 * carries and the maps they share, pinned under one directory (production:
 * {@code /sys/fs/bpf/jute/<node>/}).
 *
 * <p>{@link #open} loads the programs shipped in this jar ({@code /bpf/from_pod.o},
 * {@code /bpf/to_pod.o}) and adopts the maps already pinned there, so a restarted agent keeps the
 * state the kernel has been enforcing all along; {@link #attach} then swaps its programs in
 * atomically. Closing releases this process's descriptors only: attached programs and pinned maps
 * go on enforcing.
 *
 * <p>{@link #attach}/{@link #detach} act on links of the calling thread's network namespace.
 */
public final class PolicyDataplane implements AutoCloseable {

    public static final String FROM_POD = "from_pod";
    public static final String TO_POD = "to_pod";
    private static final String RESOURCE_DIRECTORY = "/bpf/";

    private final Path pinDirectory;
    private final BpfObject fromPodObject;
    private final BpfObject toPodObject;
    private final PolicyMaps maps;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PolicyDataplane(Path pinDirectory, BpfObject fromPodObject, BpfObject toPodObject, PolicyMaps maps) {
        this.pinDirectory = pinDirectory;
        this.fromPodObject = fromPodObject;
        this.toPodObject = toPodObject;
        this.maps = maps;
    }

    /**
     * Why the policy dataplane cannot run here, if it cannot: the BPF objects are missing from the
     * class path (built without clang) or libbpf.so.1 is not installed.
     */
    public static Optional<String> unavailableReason() {
        for (String program : new String[]{FROM_POD, TO_POD}) {
            if (PolicyDataplane.class.getResource(RESOURCE_DIRECTORY + program + ".o") == null) {
                return Optional.of("BPF object " + RESOURCE_DIRECTORY + program + ".o is not on the class path:"
                                   + " the dataplane module was built without clang (/usr/bin/clang)");
            }
        }
        try {
            Libbpf.ensureLoaded();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return Optional.of("libbpf.so.1 cannot be loaded (Debian package libbpf1): " + e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * Loads both programs, adopting (or creating and pinning) the maps under {@code pinDirectory},
     * and pins the programs there too.
     *
     * @throws IllegalStateException when the objects are missing, the directory is not on a BPF
     *                               filesystem, or a pinned map was made by an incompatible version
     * @throws BpfException          when the kernel refuses a program or map
     */
    public static PolicyDataplane open(Path pinDirectory) {
        Objects.requireNonNull(pinDirectory, "pinDirectory");
        unavailableReason().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
        BpfFilesystem.requirePinDirectory(pinDirectory);
        BpfObject fromPod = null;
        BpfObject toPod = null;
        try {
            fromPod = BpfObject.load("jute_" + FROM_POD, resource(FROM_POD), pinDirectory, FROM_POD);
            toPod = BpfObject.load("jute_" + TO_POD, resource(TO_POD), pinDirectory, TO_POD);
            fromPod.program(FROM_POD).pin(pinDirectory.resolve(FROM_POD));
            toPod.program(TO_POD).pin(pinDirectory.resolve(TO_POD));
            requireShared(fromPod, toPod);
            // The programs translate Services too: on pins of an agent that predates live_backends it is new
            // and empty, and would retire every adopted connection once the programs are attached.
            ServiceMaps.ofLoaded(fromPod);
            Map<String, BpfMap> shared = new java.util.HashMap<>();
            for (String name : PolicyMaps.NAMES) {
                shared.put(name, fromPod.map(name));
            }
            return new PolicyDataplane(pinDirectory, fromPod, toPod, PolicyMaps.of(shared));
        } catch (RuntimeException e) {
            if (toPod != null) {
                toPod.close();
            }
            if (fromPod != null) {
                fromPod.close();
            }
            throw e;
        }
    }

    /** Both programs must see the very same maps, or one would enforce state the other never sees. */
    private static void requireShared(BpfObject fromPod, BpfObject toPod) {
        for (String name : PolicyMaps.NAMES) {
            if (fromPod.map(name).id() != toPod.map(name).id()) {
                throw new IllegalStateException("map " + name + " is not shared between " + FROM_POD + " and " + TO_POD);
            }
        }
    }

    private static byte[] resource(String program) {
        String path = RESOURCE_DIRECTORY + program + ".o";
        try (InputStream in = PolicyDataplane.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("BPF object " + path + " is not on the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BPF object " + path, e);
        }
    }

    public Path pinDirectory() {
        return pinDirectory;
    }

    /** The maps, typed. */
    public PolicyMaps maps() {
        ensureOpen();
        return maps;
    }

    public BpfProgram fromPodProgram() {
        ensureOpen();
        return fromPodObject.program(FROM_POD);
    }

    public BpfProgram toPodProgram() {
        ensureOpen();
        return toPodObject.program(TO_POD);
    }

    /**
     * Puts the programs on a pod's host-side veth: {@code from_pod} on tc ingress, {@code to_pod}
     * on tc egress. Idempotent; replaces older programs atomically. Write the endpoint entry
     * ({@link PolicyMaps#putEndpoint}) first, or everything on the link is dropped meanwhile.
     */
    public void attach(int hostIfindex) {
        ensureOpen();
        TcAttachment.attach(hostIfindex, TcAttachment.Hook.INGRESS, fromPodProgram());
        TcAttachment.attach(hostIfindex, TcAttachment.Hook.EGRESS, toPodProgram());
    }

    /** Removes the programs from a host-side veth; whether any was there. */
    public boolean detach(int hostIfindex) {
        boolean ingress = TcAttachment.detach(hostIfindex, TcAttachment.Hook.INGRESS);
        boolean egress = TcAttachment.detach(hostIfindex, TcAttachment.Hook.EGRESS);
        return ingress || egress;
    }

    /** Whether this instance's programs (not older ones) are the ones attached to the link. */
    public boolean isAttached(int hostIfindex) {
        OptionalInt ingress = TcAttachment.attachedProgramId(hostIfindex, TcAttachment.Hook.INGRESS);
        OptionalInt egress = TcAttachment.attachedProgramId(hostIfindex, TcAttachment.Hook.EGRESS);
        return ingress.isPresent() && ingress.getAsInt() == fromPodProgram().id()
               && egress.isPresent() && egress.getAsInt() == toPodProgram().id();
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("policy dataplane " + pinDirectory + " is closed");
        }
    }

    /** Releases this process's handles; attached programs and pinned maps keep enforcing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            maps.close();
            toPodObject.close();
            fromPodObject.close();
        }
    }
}
