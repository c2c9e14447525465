package dev.jute.dataplane.bpf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Service NAT half of the eBPF dataplane (kube-proxy replacement), sharing its pin directory
 * and maps with {@link PolicyDataplane}:
 * <ul>
 *   <li>ClusterIP (and every internal-scope frontend) for pods is translated by the same
 *       {@code from_pod} / {@code to_pod} programs that enforce policy, so policy judges the
 *       backend; {@link PolicyDataplane#attach} puts them on pod links as before.</li>
 *   <li>NodePort and LoadBalancer traffic from outside is handled by {@code from_netdev}, which
 *       this class loads and attaches to the node's uplink (tc ingress).</li>
 * </ul>
 * Both classes load their objects against the same pin directory, so whichever opens first
 * creates the maps and the other adopts them; {@link #maps()} edits what every program reads.
 * Closing releases this process's descriptors only.
 *
 * <p>{@link #attachUplink}/{@link #detachUplink} act on links of the calling thread's network namespace.
 */
public final class ServiceDataplane implements AutoCloseable {

    public static final String FROM_NETDEV = "from_netdev";
    private static final String RESOURCE = "/bpf/" + FROM_NETDEV + ".o";

    private final Path pinDirectory;
    private final BpfObject fromNetdevObject;
    private final ServiceMaps maps;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ServiceDataplane(Path pinDirectory, BpfObject fromNetdevObject, ServiceMaps maps) {
        this.pinDirectory = pinDirectory;
        this.fromNetdevObject = fromNetdevObject;
        this.maps = maps;
    }

    /** Why the service dataplane cannot run here, if it cannot (see {@link PolicyDataplane#unavailableReason()}). */
    public static Optional<String> unavailableReason() {
        if (ServiceDataplane.class.getResource(RESOURCE) == null) {
            return Optional.of("BPF object " + RESOURCE + " is not on the class path: the dataplane module was built"
                               + " without clang (/usr/bin/clang)");
        }
        return PolicyDataplane.unavailableReason();
    }

    /**
     * Loads {@code from_netdev}, adopting (or creating and pinning) the maps under
     * {@code pinDirectory}, and pins the program there.
     *
     * @throws IllegalStateException when the object is missing, the directory is not on a BPF
     *                               filesystem, or a pinned map was made by an incompatible version
     * @throws BpfException          when the kernel refuses the program or a map
     */
    public static ServiceDataplane open(Path pinDirectory) {
        Objects.requireNonNull(pinDirectory, "pinDirectory");
        unavailableReason().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
        BpfFilesystem.requirePinDirectory(pinDirectory);
        BpfObject object = BpfObject.load("jute_" + FROM_NETDEV, resource(), pinDirectory, FROM_NETDEV);
        try {
            object.program(FROM_NETDEV).pin(pinDirectory.resolve(FROM_NETDEV));
            return new ServiceDataplane(pinDirectory, object, ServiceMaps.ofLoaded(object));
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    private static byte[] resource() {
        try (InputStream in = ServiceDataplane.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("BPF object " + RESOURCE + " is not on the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BPF object " + RESOURCE, e);
        }
    }

    public Path pinDirectory() {
        return pinDirectory;
    }

    public ServiceMaps maps() {
        ensureOpen();
        return maps;
    }

    public BpfProgram fromNetdevProgram() {
        ensureOpen();
        return fromNetdevObject.program(FROM_NETDEV);
    }

    /**
     * Puts {@code from_netdev} on the tc ingress of the node's uplink. Idempotent; replaces an
     * older program atomically. The kernel must forward between the uplink and the pod links
     * (net.ipv4.ip_forward), as on any Kubernetes node.
     */
    public void attachUplink(int uplinkIfindex) {
        ensureOpen();
        TcAttachment.attach(uplinkIfindex, TcAttachment.Hook.INGRESS, fromNetdevProgram());
    }

    /** Removes the program from the uplink; whether it was there. */
    public boolean detachUplink(int uplinkIfindex) {
        return TcAttachment.detach(uplinkIfindex, TcAttachment.Hook.INGRESS);
    }

    /** Whether this instance's program is the one on the uplink. */
    public boolean isUplinkAttached(int uplinkIfindex) {
        OptionalInt attached = TcAttachment.attachedProgramId(uplinkIfindex, TcAttachment.Hook.INGRESS);
        return attached.isPresent() && attached.getAsInt() == fromNetdevProgram().id();
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("service dataplane " + pinDirectory + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            maps.close();
            fromNetdevObject.close();
        }
    }
}
