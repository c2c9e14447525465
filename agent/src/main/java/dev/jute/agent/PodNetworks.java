package dev.jute.agent;

import dev.jute.cni.CniErrorCode;
import dev.jute.cni.CniException;
import dev.jute.cni.CniInterface;
import dev.jute.cni.CniIpConfig;
import dev.jute.cni.CniRequest;
import dev.jute.cni.CniResult;
import dev.jute.cni.CniRoute;
import dev.jute.cni.IpAddress;
import dev.jute.cni.IpPrefix;
import dev.jute.cni.ValidAttachment;
import dev.jute.dataplane.NetNamespace;
import dev.jute.dataplane.PodLink;
import dev.jute.dataplane.PodWiringSpec;
import dev.jute.dataplane.PtpPodWiring;
import dev.jute.ipam.Allocation;
import dev.jute.ipam.AllocationKey;
import dev.jute.ipam.Ipam;
import dev.jute.ipam.PodRef;
import dev.jute.ipam.PoolExhaustedException;
import dev.jute.ipam.PoolUsage;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pods' network attachments on this node: what CNI ADD, DEL, CHECK, STATUS and GC do, combining
 * IPAM with the ptp wiring of the dataplane. Requests for different attachments run in parallel;
 * requests for the same attachment are serialized (a runtime may send DEL while an ADD is still running).
 */
public final class PodNetworks {

    private static final Log LOG = Log.of("pods");

    private final Ipam ipam;
    private final PtpPodWiring wiring;
    private final int defaultMtu;
    private final Map<AllocationKey, ReentrantLock> attachmentLocks = new ConcurrentHashMap<>();
    private final List<PodNetworkObserver> observers = new java.util.concurrent.CopyOnWriteArrayList<>();

    public PodNetworks(Ipam ipam, PtpPodWiring wiring, int defaultMtu) {
        this.ipam = ipam;
        this.wiring = wiring;
        this.defaultMtu = defaultMtu;
    }

    /** Registers a capability that programs pods' dataplane state as they come and go. */
    public void addObserver(PodNetworkObserver observer) {
        observers.add(observer);
    }

    /** ADD: allocate (idempotent), wire the pod, return the CNI result. Any failure releases what was taken. */
    public CniResult add(CniRequest request) throws CniException {
        AllocationKey key = new AllocationKey(request.containerId(), request.ifname());
        Path netns = Path.of(request.netns());
        if (!NetNamespace.exists(netns)) {
            throw new CniException(CniErrorCode.UNKNOWN_CONTAINER, "network namespace " + netns + " does not exist");
        }
        int mtu = request.config().mtu() != null ? request.config().mtu() : defaultMtu;
        long start = System.nanoTime();
        ReentrantLock lock = lockFor(key);
        try {
            List<Allocation> allocations = allocate(key, request);
            long allocated = System.nanoTime();
            String hostIf = PtpPodWiring.hostInterfaceName(request.containerId(), request.ifname());
            PodWiringSpec spec = new PodWiringSpec(netns, hostIf, request.ifname(), mtu, addresses(allocations));
            PodLink link;
            try {
                // A retried ADD finds the interface of the first try: start from a clean slate.
                wiring.unwire(hostIf);
                link = wiring.wire(spec);
            } catch (Exception e) {
                releaseQuietly(key);
                throw new CniException(CniErrorCode.INTERFACE_SETUP_FAILED, "cannot wire " + request.ifname() + " in " + netns,
                        String.valueOf(e.getMessage()));
            }
            try {
                PodAttachment attachment = new PodAttachment(request.containerId(), request.ifname(), podRef(request),
                        link, addresses(allocations));
                for (PodNetworkObserver observer : observers) {
                    observer.podWired(attachment);
                }
            } catch (Exception e) {
                unwireQuietly(key);
                releaseQuietly(key);
                if (e instanceof CniException chosen) {
                    throw chosen; // the observer chose the code (e.g. try again later)
                }
                throw new CniException(CniErrorCode.DATAPLANE_PROGRAMMING_FAILED,
                        "cannot program the dataplane for " + request.ifname() + " in " + netns, String.valueOf(e.getMessage()));
            }
            long wired = System.nanoTime();
            LOG.info("pod wired", "container", shortId(request.containerId()), "ifname", request.ifname(),
                    "host", hostIf, "ips", addresses(allocations), "pod", podRef(request).map(PodRef::toString).orElse("-"),
                    "ipam_ms", millis(allocated - start), "wire_ms", millis(wired - allocated));
            CniResult own = result(link, allocations, mtu);
            CniResult previous = request.config().prevResult();
            return previous == null ? own : CniResult.chained(previous, own);
        } finally {
            lock.unlock();
        }
    }

    /** DEL: idempotent; unknown containers and vanished namespaces are fine. */
    public void del(CniRequest request) throws CniException {
        AllocationKey key = new AllocationKey(request.containerId(), request.ifname());
        long start = System.nanoTime();
        ReentrantLock lock = lockFor(key);
        try {
            String hostIf = PtpPodWiring.hostInterfaceName(request.containerId(), request.ifname());
            try {
                wiring.unwire(hostIf);
            } catch (Exception e) {
                throw new CniException(CniErrorCode.IO_FAILURE, "cannot remove " + hostIf, String.valueOf(e.getMessage()));
            }
            notifyRemoved(key, hostIf);
            long unwired = System.nanoTime();
            boolean released = release(key);
            LOG.info("pod removed", "container", shortId(request.containerId()), "ifname", request.ifname(),
                    "released", released, "unwire_ms", millis(unwired - start), "ipam_ms", millis(System.nanoTime() - unwired));
        } finally {
            lock.unlock();
            attachmentLocks.remove(key, lock);
        }
    }

    /** CHECK: the interface, addresses and routes that ADD made must really exist. */
    public void check(CniRequest request) throws CniException {
        AllocationKey key = new AllocationKey(request.containerId(), request.ifname());
        List<Allocation> allocations = ipam.find(key);
        if (allocations.isEmpty()) {
            throw new CniException(CniErrorCode.UNKNOWN_CONTAINER,
                    "no attachment " + request.ifname() + " for container " + request.containerId());
        }
        Path netns = Path.of(request.netns());
        if (!NetNamespace.exists(netns)) {
            throw new CniException(CniErrorCode.UNKNOWN_CONTAINER, "network namespace " + netns + " does not exist");
        }
        List<String> problems = new ArrayList<>();
        CniResult previous = request.config().prevResult();
        if (previous != null) {
            Set<String> expected = new HashSet<>();
            for (Allocation a : allocations) {
                expected.add(hostPrefix(a.address()).toString());
            }
            for (CniIpConfig ip : previous.ips()) {
                if (!expected.contains(ip.address().toString())) {
                    problems.add("prevResult address " + ip.address() + " is not allocated to this attachment");
                }
            }
        }
        int mtu = request.config().mtu() != null ? request.config().mtu() : defaultMtu;
        String hostIf = PtpPodWiring.hostInterfaceName(request.containerId(), request.ifname());
        try {
            problems.addAll(wiring.check(new PodWiringSpec(netns, hostIf, request.ifname(), mtu, addresses(allocations))));
        } catch (Exception e) {
            problems.add("cannot inspect the interfaces: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new CniException(CniErrorCode.INTERFACE_STATE_MISMATCH,
                    request.ifname() + " of container " + request.containerId() + " is not as ADD left it",
                    String.join("; ", problems));
        }
    }

    /** STATUS: ready unless every pool of some family is exhausted. */
    public void status() throws CniException {
        for (PoolUsage usage : ipam.usage()) {
            if (usage.exhausted()) {
                throw new CniException(CniErrorCode.PLUGIN_NOT_AVAILABLE, "no addresses left in pool " + usage.pool(),
                        usage.allocated() + " of " + usage.capacity() + " allocated");
            }
        }
    }

    /** GC: release every attachment the runtime no longer knows, and its interface. */
    public List<Allocation> gc(List<ValidAttachment> valid) throws CniException {
        Set<AllocationKey> keep = new HashSet<>();
        for (ValidAttachment attachment : valid) {
            keep.add(new AllocationKey(attachment.containerId(), attachment.ifname()));
        }
        List<Allocation> released;
        try {
            released = ipam.releaseAllExcept(keep);
        } catch (IOException e) {
            throw new CniException(CniErrorCode.IO_FAILURE, "cannot update the IPAM store", e.getMessage());
        }
        Set<AllocationKey> gone = new HashSet<>();
        for (Allocation allocation : released) {
            gone.add(allocation.key());
        }
        for (AllocationKey key : gone) {
            unwireQuietly(key);
        }
        removeOrphanInterfaces();
        LOG.info("garbage collected", "released", released.size(), "kept", keep.size());
        return released;
    }

    /**
     * On start: release allocations whose network namespace is gone (the runtime will never send their
     * DEL when it crashed with us) and remove host interfaces that no allocation explains.
     */
    public void reconcile() throws IOException {
        List<Allocation> released = ipam.releaseIf(a -> !a.netnsPath().isEmpty() && !NetNamespace.exists(Path.of(a.netnsPath())));
        for (Allocation allocation : released) {
            unwireQuietly(allocation.key());
            LOG.info("released allocation of a vanished namespace", "ip", allocation.address().getHostAddress(),
                    "container", shortId(allocation.key().containerId()), "netns", allocation.netnsPath());
        }
        removeOrphanInterfaces();
    }

    private void removeOrphanInterfaces() {
        Set<String> expected = new HashSet<>();
        for (Allocation allocation : ipam.allocations()) {
            expected.add(PtpPodWiring.hostInterfaceName(allocation.key().containerId(), allocation.key().ifname()));
        }
        try {
            for (String name : wiring.hostInterfaces()) {
                if (!expected.contains(name)) {
                    wiring.unwire(name);
                    LOG.info("removed orphan interface", "host", name);
                }
            }
        } catch (Exception e) {
            LOG.warn("cannot list host interfaces", "error", e.getMessage());
        }
    }

    private List<Allocation> allocate(AllocationKey key, CniRequest request) throws CniException {
        try {
            java.util.Optional<PodRef> pod = podRef(request);
            return pod.isPresent() ? ipam.allocate(key, request.netns(), pod.get()) : ipam.allocate(key, request.netns());
        } catch (PoolExhaustedException e) {
            throw new CniException(CniErrorCode.ADDRESS_POOL_EXHAUSTED, "no free address in pool " + e.pool(),
                    "release addresses (CNI DEL or GC) or give the node a larger pod CIDR");
        } catch (IOException e) {
            throw new CniException(CniErrorCode.IO_FAILURE, "cannot record the allocation", e.getMessage());
        }
    }

    private boolean release(AllocationKey key) throws CniException {
        try {
            return ipam.release(key);
        } catch (IOException e) {
            throw new CniException(CniErrorCode.IO_FAILURE, "cannot record the release", e.getMessage());
        }
    }

    private void releaseQuietly(AllocationKey key) {
        try {
            ipam.release(key);
        } catch (IOException e) {
            LOG.error("cannot release after a failed ADD; GC will", "container", key.containerId(), "error", e.getMessage());
        }
    }

    private void unwireQuietly(AllocationKey key) {
        String hostIf = PtpPodWiring.hostInterfaceName(key.containerId(), key.ifname());
        try {
            wiring.unwire(hostIf);
        } catch (Exception e) {
            LOG.warn("cannot remove interface", "host", hostIf, "error", e.getMessage());
        }
        notifyRemoved(key, hostIf);
    }

    private void notifyRemoved(AllocationKey key, String hostIf) {
        for (PodNetworkObserver observer : observers) {
            try {
                observer.podRemoved(key.containerId(), key.ifname(), hostIf);
            } catch (RuntimeException e) {
                LOG.warn("observer failed on pod removal", "host", hostIf, "error", e.toString());
            }
        }
    }

    private ReentrantLock lockFor(AllocationKey key) {
        while (true) {
            ReentrantLock lock = attachmentLocks.computeIfAbsent(key, k -> new ReentrantLock());
            lock.lock();
            if (attachmentLocks.get(key) == lock) {
                return lock;
            }
            lock.unlock(); // a DEL retired this lock while we waited; take the new one
        }
    }

    private static CniResult result(PodLink link, List<Allocation> allocations, int mtu) {
        List<CniInterface> interfaces = List.of(
                CniInterface.host(link.hostInterfaceName(), link.hostMac().toString()),
                CniInterface.container(link.podInterfaceName(), link.podMac().toString(), mtu, link.podNetns().toString()));
        List<CniIpConfig> ips = new ArrayList<>();
        List<CniRoute> routes = new ArrayList<>();
        for (Allocation allocation : allocations) {
            boolean v4 = allocation.address() instanceof Inet4Address;
            IpAddress gateway = IpAddress.ofBytes((v4 ? PtpPodWiring.IPV4_GATEWAY : PtpPodWiring.IPV6_GATEWAY).getAddress());
            ips.add(new CniIpConfig(hostPrefix(allocation.address()), gateway, 1));
            routes.add(new CniRoute(IpPrefix.parse(v4 ? "0.0.0.0/0" : "::/0"), gateway));
        }
        return new CniResult(interfaces, ips, routes, null);
    }

    /** Pods get their address as a host prefix (/32, /128): everything else is behind the gateway. */
    private static IpPrefix hostPrefix(InetAddress address) {
        IpAddress ip = IpAddress.ofBytes(address.getAddress());
        return new IpPrefix(ip, ip.bitLength());
    }

    private static List<InetAddress> addresses(List<Allocation> allocations) {
        List<InetAddress> addresses = new ArrayList<>();
        for (Allocation allocation : allocations) {
            addresses.add(allocation.address());
        }
        return addresses;
    }

    private static java.util.Optional<PodRef> podRef(CniRequest request) {
        if (request.podNamespace().isPresent() && request.podName().isPresent()) {
            return java.util.Optional.of(new PodRef(request.podNamespace().get(), request.podName().get()));
        }
        return java.util.Optional.empty();
    }

    private static String millis(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
    }

    private static String shortId(String containerId) {
        return containerId.length() > 12 ? containerId.substring(0, 12) : containerId;
    }
}
