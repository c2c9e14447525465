package dev.jute.dataplane.bpf;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Typed access to the Service NAT maps (layouts in {@link ServiceMapLayouts} and
 * {@code lib/maps.h}), with updates ordered so the programs never see a hole:
 * <ol>
 *   <li>the live pairs (service id, backend) of the new backend set,</li>
 *   <li>backend slots 1..n (node-local backends first, so "local only" is the prefix),</li>
 *   <li>the reverse-NAT entry,</li>
 *   <li>the frontend entry with the new counts (one atomic map update: from here packets use the
 *       new set),</li>
 *   <li>surplus slots of the previous, larger set,</li>
 *   <li>the live pairs of the backends that left: from here their established connections are
 *       retired by the programs on their next packet (TCP: a RST to the client; UDP and SCTP:
 *       balanced anew).</li>
 * </ol>
 * A packet that read the old count just before step 4 reads slots that still exist (step 5 comes
 * after), so an update never drops a connection attempt. Established connections keep their
 * backend through the NAT entries while the backend stays live; retiring one costs a map delete,
 * never a walk over the connections. Writers are serialised on this object.
 */
public final class ServiceMaps implements AutoCloseable {

    public static final String SERVICES = "services";
    public static final String BACKENDS = "backends";
    public static final String LIVE_BACKENDS = "live_backends";
    public static final String REVNAT = "revnat";
    public static final String AFFINITY = "affinity";
    public static final String NAT_CT = "nat_ct";
    public static final String LB_CONFIG = "lb_config";
    /** Socket-LB (sock_lb.c): per socket, the frontend a connect/sendmsg was translated from. */
    public static final String SOCK_REVNAT = "sock_revnat";
    /** Socket-LB: the network namespace whose sockets are translated. */
    public static final String SOCK_LB_CONFIG = "sock_lb_config";
    public static final List<String> NAMES = List.of(SERVICES, BACKENDS, LIVE_BACKENDS, REVNAT, AFFINITY, NAT_CT, LB_CONFIG,
            SOCK_REVNAT, SOCK_LB_CONFIG);

    /**
     * The longest a service connection's NAT entries live past their last packet: the established
     * TCP lifetime (CT_LIFETIME_TCP_ESTABLISHED in conntrack.h, which nat_lifetime in lb.h uses; every
     * other lifetime is shorter). Once a frontend is deleted nothing refreshes its connections' entries
     * (their revnat and live pairs are gone), so after this long none carries its service id.
     */
    public static final Duration LONGEST_CONNECTION_LIFETIME = Duration.ofHours(6);

    private final Map<String, BpfMap> maps;
    private final boolean ownsMaps;

    private ServiceMaps(Map<String, BpfMap> maps, boolean ownsMaps) {
        for (String name : NAMES) {
            if (!maps.containsKey(name)) {
                throw new IllegalArgumentException("map " + name + " is missing");
            }
        }
        this.maps = Map.copyOf(maps);
        this.ownsMaps = ownsMaps;
        PinnedMaps.requireSizes(maps, SERVICES, ServiceMapLayouts.SERVICE_KEY_SIZE, ServiceMapLayouts.SERVICE_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, BACKENDS, ServiceMapLayouts.BACKEND_KEY_SIZE, ServiceMapLayouts.BACKEND_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, LIVE_BACKENDS, ServiceMapLayouts.LIVE_BACKEND_KEY_SIZE,
                ServiceMapLayouts.LIVE_BACKEND_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, REVNAT, ServiceMapLayouts.REVNAT_KEY_SIZE, ServiceMapLayouts.REVNAT_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, AFFINITY, ServiceMapLayouts.AFFINITY_KEY_SIZE, ServiceMapLayouts.AFFINITY_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, NAT_CT, ServiceMapLayouts.NAT_KEY_SIZE, ServiceMapLayouts.NAT_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, LB_CONFIG, ServiceMapLayouts.LB_CONFIG_KEY_SIZE, ServiceMapLayouts.LB_CONFIG_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, SOCK_REVNAT, ServiceMapLayouts.SOCK_REVNAT_KEY_SIZE,
                ServiceMapLayouts.SOCK_REVNAT_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, SOCK_LB_CONFIG, ServiceMapLayouts.SOCK_LB_CONFIG_KEY_SIZE,
                ServiceMapLayouts.SOCK_LB_CONFIG_VALUE_SIZE);
    }

    /** Over the maps of a loaded program (borrowed: closing this leaves them to their object). */
    static ServiceMaps of(Map<String, BpfMap> maps) {
        return new ServiceMaps(maps, false);
    }

    /**
     * Over the Service maps of a loaded object (borrowed), after {@link #restoreEmptyLiveBackends()}:
     * every loader goes through here, so no program that reads the live set is attached before it is filled.
     */
    static ServiceMaps ofLoaded(BpfObject object) {
        Map<String, BpfMap> shared = new HashMap<>();
        for (String name : NAMES) {
            shared.put(name, object.map(name));
        }
        ServiceMaps maps = of(shared);
        maps.restoreEmptyLiveBackends();
        return maps;
    }

    /** Opens the maps pinned under {@code pinDirectory} without loading a program (tools: {@code jute service list}). */
    public static ServiceMaps openPinned(Path pinDirectory) {
        return PinnedMaps.open(pinDirectory, NAMES, maps -> new ServiceMaps(maps, true));
    }

    /** The raw map, for tools and tests. */
    public BpfMap map(String name) {
        BpfMap map = maps.get(name);
        if (map == null) {
            throw new IllegalArgumentException("no service map " + name);
        }
        return map;
    }

    // --- node configuration -------------------------------------------------------------------------

    /**
     * The node addresses externalTrafficPolicy Cluster connections are masqueraded to (either may
     * be null: the frontend address is used then, right for NodePorts on a node address).
     */
    public void setNodeAddresses(Inet4Address ipv4, Inet6Address ipv6) {
        if (ipv6 != null && ipv6.getScopeId() != 0) {
            throw new IllegalArgumentException("a node address for masquerading has no scope: " + ipv6.getHostAddress());
        }
        map(LB_CONFIG).update(ServiceMapLayouts.lbConfigKey(), ServiceMapLayouts.lbConfigValue(ipv4, ipv6),
                BpfMap.UPDATE_ANY);
    }

    /**
     * The network namespace whose sockets the socket-LB hooks translate, by its cookie
     * ({@link SocketLoadBalancer#currentNetnsCookie()}); 0 makes them translate nothing.
     */
    public void setSocketLbNetnsCookie(long netnsCookie) {
        map(SOCK_LB_CONFIG).update(ServiceMapLayouts.sockLbConfigKey(), ServiceMapLayouts.sockLbConfigValue(netnsCookie),
                BpfMap.UPDATE_ANY);
    }

    /** The namespace cookie the socket-LB hooks translate (0: none). */
    public long socketLbNetnsCookie() {
        return map(SOCK_LB_CONFIG).lookup(ServiceMapLayouts.sockLbConfigKey()).map(ServiceMapLayouts::decodeSockLbConfig)
                .orElse(0L);
    }

    /** How many socket translations are remembered for reverse lookups (sock_revnat entries, until evicted). */
    public int socketTranslationCount() {
        return map(SOCK_REVNAT).keys().size();
    }

    // --- services -----------------------------------------------------------------------------------

    /**
     * Creates or replaces one frontend and its backend set (see the class comment for the order).
     * How many backends left it (their connections are retired).
     */
    public synchronized int upsertService(ServiceFrontend frontend, List<ServiceBackend> backends) {
        return upsertServices(Map.of(frontend, backends));
    }

    /**
     * Creates or replaces many frontends at once: every live pair and backend slot in one batch,
     * then every reverse-NAT entry, then every frontend, then the surplus slots and the live pairs
     * of backends that left. Fails before writing anything when an argument is invalid.
     *
     * @return how many (frontend, backend) pairs were retired: backends that left a frontend
     * @throws IllegalArgumentException a backend of another family than its frontend, more than
     *                                  65535 backends, or one service id on two frontends
     */
    public synchronized int upsertServices(Map<ServiceFrontend, List<ServiceBackend>> services) {
        Objects.requireNonNull(services, "services");
        List<byte[]> liveKeys = new ArrayList<>();
        List<byte[]> slotKeys = new ArrayList<>();
        List<byte[]> slotValues = new ArrayList<>();
        List<byte[]> revnatKeys = new ArrayList<>();
        List<byte[]> revnatValues = new ArrayList<>();
        List<byte[]> frontendKeys = new ArrayList<>();
        List<byte[]> frontendValues = new ArrayList<>();
        List<byte[]> surplus = new ArrayList<>();
        List<byte[]> retired = new ArrayList<>();
        List<Integer> abandonedIds = new ArrayList<>();
        Map<Integer, ServiceFrontend.Key> ids = new HashMap<>();
        BpfMap frontendMap = map(SERVICES);
        for (Map.Entry<ServiceFrontend, List<ServiceBackend>> entry : services.entrySet()) {
            ServiceFrontend frontend = Objects.requireNonNull(entry.getKey(), "frontend");
            List<ServiceBackend> ordered = ordered(frontend, Objects.requireNonNull(entry.getValue(), "backends"));
            ServiceFrontend.Key previousOwner = ids.put(frontend.serviceId(), frontend.key());
            if (previousOwner != null) {
                throw new IllegalArgumentException("service id " + frontend.serviceId() + " is given to both "
                                                   + previousOwner + " and " + frontend.key());
            }
            int local = (int) ordered.stream().filter(ServiceBackend::nodeLocal).count();
            Set<ServiceBackend> live = new HashSet<>();
            for (int slot = 1; slot <= ordered.size(); slot++) {
                ServiceBackend backend = ordered.get(slot - 1);
                slotKeys.add(ServiceMapLayouts.backendKey(frontend.serviceId(), slot));
                slotValues.add(ServiceMapLayouts.backendValue(backend));
                if (live.add(identity(backend))) {
                    liveKeys.add(ServiceMapLayouts.liveBackendKey(frontend.serviceId(), backend));
                }
            }
            revnatKeys.add(ServiceMapLayouts.revnatKey(frontend.serviceId()));
            revnatValues.add(ServiceMapLayouts.revnatValue(frontend));
            byte[] frontendKey = ServiceMapLayouts.serviceKey(frontend.key());
            frontendKeys.add(frontendKey);
            frontendValues.add(ServiceMapLayouts.serviceValue(frontend, ordered.size(), local));

            Optional<ServiceMapLayouts.ServiceCounts> previous = frontendMap.lookup(frontendKey)
                    .map(ServiceMapLayouts::decodeServiceCounts);
            if (previous.isPresent()) {
                ServiceMapLayouts.ServiceCounts old = previous.get();
                boolean sameId = old.serviceId() == frontend.serviceId();
                for (ServiceBackend gone : slotBackends(old)) {
                    if (!sameId || !live.contains(identity(gone))) {
                        retired.add(ServiceMapLayouts.liveBackendKey(old.serviceId(), gone));
                    }
                }
                for (int slot = sameId ? ordered.size() + 1 : 1; slot <= old.backendCount(); slot++) {
                    surplus.add(ServiceMapLayouts.backendKey(old.serviceId(), slot));
                }
                if (!sameId) {
                    abandonedIds.add(old.serviceId());
                }
            }
        }
        map(LIVE_BACKENDS).updateAll(liveKeys, Collections.nCopies(liveKeys.size(),
                ServiceMapLayouts.liveBackendValue()));
        map(BACKENDS).updateAll(slotKeys, slotValues);
        map(REVNAT).updateAll(revnatKeys, revnatValues);
        frontendMap.updateAll(frontendKeys, frontendValues);
        BpfMap backendMap = map(BACKENDS);
        surplus.forEach(backendMap::delete);
        abandonedIds.forEach(id -> map(REVNAT).delete(ServiceMapLayouts.revnatKey(id)));
        int count = 0;
        for (byte[] key : retired) {
            if (map(LIVE_BACKENDS).delete(key)) {
                count++;
            }
        }
        return count;
    }

    /** A backend as a live pair names it: address and port (node-locality is this node's view, not identity). */
    private static ServiceBackend identity(ServiceBackend backend) {
        return backend.nodeLocal() ? new ServiceBackend(backend.address(), backend.port(), false) : backend;
    }

    /** The distinct backends in a frontend's slots 1..count, as the maps hold them now. */
    private Set<ServiceBackend> slotBackends(ServiceMapLayouts.ServiceCounts counts) {
        Set<ServiceBackend> backends = new HashSet<>();
        BpfMap backendMap = map(BACKENDS);
        for (int slot = 1; slot <= counts.backendCount(); slot++) {
            backendMap.lookup(ServiceMapLayouts.backendKey(counts.serviceId(), slot))
                    .map(ServiceMapLayouts::decodeBackend).ifPresent(b -> backends.add(identity(b)));
        }
        return backends;
    }

    /** Node-local backends first (the programs' "local only" is the slot prefix), otherwise in the caller's order. */
    private static List<ServiceBackend> ordered(ServiceFrontend frontend, List<ServiceBackend> backends) {
        if (backends.size() > ServiceMapLayouts.MAX_BACKENDS) {
            throw new IllegalArgumentException(frontend.key() + " has " + backends.size() + " backends, at most "
                                               + ServiceMapLayouts.MAX_BACKENDS + " fit");
        }
        int family = ServiceMapLayouts.family(frontend.address());
        for (ServiceBackend backend : backends) {
            if (ServiceMapLayouts.family(Objects.requireNonNull(backend, "backend").address()) != family) {
                throw new IllegalArgumentException("backend " + backend + " is not of the family of " + frontend.key());
            }
        }
        List<ServiceBackend> ordered = new ArrayList<>(backends);
        ordered.sort(Comparator.comparing((ServiceBackend b) -> !b.nodeLocal()));
        return ordered;
    }

    /**
     * Removes a frontend: the frontend entry first (no new connection finds it), then its slots,
     * its live pairs (its established connections are retired: TCP ones reset, the others balanced
     * anew or, with no frontend left, passed untranslated) and its reverse-NAT entry. Whether it
     * existed.
     */
    public synchronized boolean deleteService(ServiceFrontend.Key key) {
        Objects.requireNonNull(key, "key");
        byte[] frontendKey = ServiceMapLayouts.serviceKey(key);
        Optional<ServiceMapLayouts.ServiceCounts> existing = map(SERVICES).lookup(frontendKey)
                .map(ServiceMapLayouts::decodeServiceCounts);
        if (existing.isEmpty()) {
            return false;
        }
        ServiceMapLayouts.ServiceCounts counts = existing.get();
        Set<ServiceBackend> backends = slotBackends(counts);
        if (!map(SERVICES).delete(frontendKey)) {
            return false;
        }
        for (int slot = 1; slot <= counts.backendCount(); slot++) {
            map(BACKENDS).delete(ServiceMapLayouts.backendKey(counts.serviceId(), slot));
        }
        for (ServiceBackend backend : backends) {
            map(LIVE_BACKENDS).delete(ServiceMapLayouts.liveBackendKey(counts.serviceId(), backend));
        }
        map(REVNAT).delete(ServiceMapLayouts.revnatKey(counts.serviceId()));
        return true;
    }

    /**
     * Fills an empty {@code live_backends} from the backend slots: the map is new to pins an agent
     * without it made (an upgrade), and the programs retire every connection whose live pair is missing,
     * so a loader calls this before anything that reads the map is attached. Idempotent and cheap when
     * the live set is in use (one map step); a complete repair, stale pairs included, is
     * {@link #repairLiveBackends()}. How many pairs were added.
     */
    public synchronized int restoreEmptyLiveBackends() {
        if (!map(LIVE_BACKENDS).isEmpty() || map(SERVICES).isEmpty()) {
            return 0;
        }
        return repairLiveBackends();
    }

    /**
     * Makes the live pairs exactly the set view of the slots: adds missing pairs (maps pinned by an
     * agent that predates them: without this, every adopted connection would be retired) and
     * deletes pairs no slot holds (a writer that died between its steps). For adoption at start;
     * it walks {@code live_backends} once. How many pairs were added and deleted.
     */
    public synchronized int repairLiveBackends() {
        Set<ByteBuffer> wanted = new HashSet<>();
        List<byte[]> missing = new ArrayList<>();
        BpfMap live = map(LIVE_BACKENDS);
        for (ServiceEntry entry : services()) {
            for (ServiceBackend backend : entry.backends()) {
                byte[] key = ServiceMapLayouts.liveBackendKey(entry.frontend().serviceId(), backend);
                if (wanted.add(ByteBuffer.wrap(key)) && live.lookup(key).isEmpty()) {
                    missing.add(key);
                }
            }
        }
        live.updateAll(missing, Collections.nCopies(missing.size(), ServiceMapLayouts.liveBackendValue()));
        int repaired = missing.size();
        for (byte[] key : live.keys()) {
            if (!wanted.contains(ByteBuffer.wrap(key)) && live.delete(key)) {
                repaired++;
            }
        }
        return repaired;
    }

    /** One frontend with its backends, if present. */
    public Optional<ServiceEntry> service(ServiceFrontend.Key key) {
        byte[] frontendKey = ServiceMapLayouts.serviceKey(key);
        return map(SERVICES).lookup(frontendKey).map(value -> entry(frontendKey, value));
    }

    /** Every frontend with its backends (for {@code jute service list}), in no particular order. */
    public List<ServiceEntry> services() {
        List<ServiceEntry> result = new ArrayList<>();
        BpfMap frontendMap = map(SERVICES);
        for (byte[] key : frontendMap.keys()) {
            frontendMap.lookup(key).ifPresent(value -> result.add(entry(key, value)));
        }
        return result;
    }

    private ServiceEntry entry(byte[] key, byte[] value) {
        ServiceFrontend frontend = ServiceMapLayouts.decodeService(key, value);
        ServiceMapLayouts.ServiceCounts counts = ServiceMapLayouts.decodeServiceCounts(value);
        List<ServiceBackend> backends = new ArrayList<>(counts.backendCount());
        for (int slot = 1; slot <= counts.backendCount(); slot++) {
            map(BACKENDS).lookup(ServiceMapLayouts.backendKey(counts.serviceId(), slot))
                    .map(ServiceMapLayouts::decodeBackend).ifPresent(backends::add);
        }
        return new ServiceEntry(frontend, backends);
    }

    // --- connections --------------------------------------------------------------------------------

    /** Whether the programs treat {@code backend} as live for frontend {@code serviceId} (its connections survive). */
    public boolean isLive(int serviceId, ServiceBackend backend) {
        return map(LIVE_BACKENDS).lookup(ServiceMapLayouts.liveBackendKey(serviceId, backend)).isPresent();
    }

    /**
     * The service ids the unexpired connection entries carry, each with the latest expiry among its
     * entries ({@code CLOCK_MONOTONIC} nanoseconds, as {@link System#nanoTime()} reads it on Linux).
     * One walk over nat_ct (up to its 262,144 entries): for adoption at start, never per update.
     *
     * @param nowNanos the current monotonic time: entries that expired by then are a miss for the
     *                 programs and are left out
     */
    public Map<Integer, Long> connectionServiceIds(long nowNanos) {
        Map<Integer, Long> latest = new HashMap<>();
        BpfMap nat = map(NAT_CT);
        for (byte[] key : nat.keys()) {
            nat.lookup(key).ifPresent(value -> {
                long expires = ServiceMapLayouts.natExpiresNanos(value);
                if (expires - nowNanos > 0) {
                    latest.merge(ServiceMapLayouts.natServiceId(value), expires, (a, b) -> a - b >= 0 ? a : b);
                }
            });
        }
        return latest;
    }

    /** How many service connections are tracked (forward entries, expired ones included until evicted). */
    public int connectionCount() {
        BpfMap nat = map(NAT_CT);
        int count = 0;
        for (byte[] key : nat.keys()) {
            if (ServiceMapLayouts.natKind(key) == ServiceMapLayouts.NAT_FORWARD) {
                count++;
            }
        }
        return count;
    }

    @Override
    public void close() {
        if (ownsMaps) {
            maps.values().forEach(BpfMap::close);
        }
    }
}
