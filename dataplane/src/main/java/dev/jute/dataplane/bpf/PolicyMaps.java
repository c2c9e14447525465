package dev.jute.dataplane.bpf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Typed access to the policy dataplane's maps (layouts in {@link MapLayouts} and
 * {@code lib/maps.h}). Writes are single map updates, each atomic for the programs; callers order
 * them so no hole opens (DESIGN.md: add allow entries before removing old ones, policy before the
 * endpoint entry).
 *
 * <p>A CIDR allow entry needs two rows: the entry in {@code policy} and its prefix in
 * {@code policy_cidrs}, where the programs find the longest CIDR of an endpoint and direction
 * holding the remote address. The prefix row exists exactly while at least one entry uses it;
 * the reference counts are rebuilt from the {@code policy} map when the maps are opened, so a
 * restarted agent continues where the last one stopped. Writers are serialised on this object.
 */
public final class PolicyMaps implements AutoCloseable {

    public static final String ENDPOINTS = "endpoints";
    public static final String IPCACHE = "ipcache";
    public static final String POLICY_CIDRS = "policy_cidrs";
    public static final String POLICY = "policy";
    public static final String CONNTRACK = "conntrack";
    public static final String FRAGMENTS = "fragments";
    public static final String DROPS = "drops";
    public static final List<String> NAMES = List.of(ENDPOINTS, IPCACHE, POLICY_CIDRS, POLICY, CONNTRACK, FRAGMENTS, DROPS);

    private record CidrUse(int endpointId, TrafficDirection direction, IpPrefix prefix) {
    }

    private final Map<String, BpfMap> maps;
    private final boolean ownsMaps;
    private final Map<CidrUse, Integer> cidrReferences = new HashMap<>();

    private PolicyMaps(Map<String, BpfMap> maps, boolean ownsMaps) {
        for (String name : NAMES) {
            if (!maps.containsKey(name)) {
                throw new IllegalArgumentException("map " + name + " is missing");
            }
        }
        this.maps = Map.copyOf(maps);
        this.ownsMaps = ownsMaps;
        PinnedMaps.requireSizes(maps, ENDPOINTS, MapLayouts.ENDPOINT_KEY_SIZE, MapLayouts.ENDPOINT_INFO_SIZE);
        PinnedMaps.requireSizes(maps, IPCACHE, MapLayouts.IPCACHE_KEY_SIZE, MapLayouts.IPCACHE_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, POLICY_CIDRS, MapLayouts.POLICY_CIDR_KEY_SIZE, MapLayouts.POLICY_CIDR_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, POLICY, MapLayouts.POLICY_KEY_SIZE, MapLayouts.POLICY_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, CONNTRACK, MapLayouts.CT_KEY_SIZE, MapLayouts.CT_VALUE_SIZE);
        PinnedMaps.requireSizes(maps, DROPS, MapLayouts.DROP_KEY_SIZE, MapLayouts.DROP_VALUE_SIZE);
        for (PolicyEntry entry : policies()) {
            if (entry.key().peer() instanceof PolicyPeer.Cidr cidr) {
                cidrReferences.merge(new CidrUse(entry.key().endpointId(), entry.key().direction(), cidr.prefix()), 1,
                        Integer::sum);
            }
        }
    }

    /** Over the maps of loaded programs (borrowed: closing this leaves them to their object). */
    static PolicyMaps of(Map<String, BpfMap> maps) {
        return new PolicyMaps(maps, false);
    }

    /**
     * Opens the maps pinned under {@code pinDirectory} without loading any program: for tools
     * that read or edit the state of a running agent.
     */
    public static PolicyMaps openPinned(Path pinDirectory) {
        return PinnedMaps.open(pinDirectory, NAMES, maps -> new PolicyMaps(maps, true));
    }

    /** The raw map, for tools and tests. */
    public BpfMap map(String name) {
        BpfMap map = maps.get(name);
        if (map == null) {
            throw new IllegalArgumentException("no policy map " + name);
        }
        return map;
    }

    // --- endpoints ----------------------------------------------------------------------------------

    /** Makes the programs on host interface {@code hostIfindex} enforce for {@code info}'s pod. */
    public void putEndpoint(int hostIfindex, EndpointInfo info) {
        Objects.requireNonNull(info, "info");
        requireIfindex(hostIfindex);
        map(ENDPOINTS).update(MapLayouts.endpointKey(hostIfindex), MapLayouts.endpointInfo(info), BpfMap.UPDATE_ANY);
    }

    /** Forgets the endpoint; its interface then drops everything (fail closed). Whether it was there. */
    public boolean deleteEndpoint(int hostIfindex) {
        requireIfindex(hostIfindex);
        return map(ENDPOINTS).delete(MapLayouts.endpointKey(hostIfindex));
    }

    public Optional<EndpointInfo> endpoint(int hostIfindex) {
        requireIfindex(hostIfindex);
        return map(ENDPOINTS).lookup(MapLayouts.endpointKey(hostIfindex)).map(MapLayouts::decodeEndpointInfo);
    }

    /** Every endpoint by host interface index. */
    public Map<Integer, EndpointInfo> endpoints() {
        Map<Integer, EndpointInfo> result = new TreeMap<>();
        BpfMap map = map(ENDPOINTS);
        for (byte[] key : map.keys()) {
            map.lookup(key).ifPresent(value -> result.put(MapLayouts.decodeEndpointKey(key), MapLayouts.decodeEndpointInfo(value)));
        }
        return result;
    }

    private static void requireIfindex(int ifindex) {
        if (ifindex <= 0) {
            throw new IllegalArgumentException("bad interface index " + ifindex);
        }
    }

    // --- ipcache ------------------------------------------------------------------------------------

    /** Maps addresses in {@code prefix} (usually a pod's /32 or /128) to {@code identity}. */
    public void putIpcache(IpPrefix prefix, int identity) {
        Objects.requireNonNull(prefix, "prefix");
        if (identity == 0) {
            throw new IllegalArgumentException("identity 0 is reserved for 'unknown'");
        }
        map(IPCACHE).update(MapLayouts.ipcacheKey(prefix), MapLayouts.ipcacheValue(identity), BpfMap.UPDATE_ANY);
    }

    public void putIpcache(Map<IpPrefix, Integer> entries) {
        List<byte[]> keys = new ArrayList<>(entries.size());
        List<byte[]> values = new ArrayList<>(entries.size());
        entries.forEach((prefix, identity) -> {
            if (identity == 0) {
                throw new IllegalArgumentException("identity 0 is reserved for 'unknown' (" + prefix + ")");
            }
            keys.add(MapLayouts.ipcacheKey(prefix));
            values.add(MapLayouts.ipcacheValue(identity));
        });
        map(IPCACHE).updateAll(keys, values);
    }

    public boolean deleteIpcache(IpPrefix prefix) {
        return map(IPCACHE).delete(MapLayouts.ipcacheKey(prefix));
    }

    public Map<IpPrefix, Integer> ipcache() {
        Map<IpPrefix, Integer> result = new LinkedHashMap<>();
        BpfMap map = map(IPCACHE);
        for (byte[] key : map.keys()) {
            // An LPM lookup is by address: the exact key returns its own value (longest match).
            map.lookup(key).ifPresent(value -> result.put(MapLayouts.decodeIpcacheKey(key), MapLayouts.decodeIpcacheValue(value)));
        }
        return result;
    }

    // --- policy -------------------------------------------------------------------------------------

    /** Adds an allow entry; whether it is new (an existing one keeps its counter). */
    public synchronized boolean putPolicy(PolicyKey key) {
        Objects.requireNonNull(key, "key");
        boolean created = map(POLICY).insertIfAbsent(MapLayouts.policyKey(key), MapLayouts.policyValue(0));
        if (created && key.peer() instanceof PolicyPeer.Cidr cidr) {
            CidrUse use = new CidrUse(key.endpointId(), key.direction(), cidr.prefix());
            if (cidrReferences.merge(use, 1, Integer::sum) == 1) {
                // After the entry: the prefix must never be found without entries behind it.
                map(POLICY_CIDRS).update(MapLayouts.policyCidrKey(use.endpointId(), use.direction(), use.prefix()),
                        MapLayouts.policyCidrValue(use.prefix()), BpfMap.UPDATE_ANY);
            }
        }
        return created;
    }

    /** Adds every entry; how many were new. */
    public synchronized int putPolicies(Collection<PolicyKey> keys) {
        int created = 0;
        for (PolicyKey key : keys) {
            if (putPolicy(key)) {
                created++;
            }
        }
        return created;
    }

    /** Removes an allow entry; whether it was there. */
    public synchronized boolean deletePolicy(PolicyKey key) {
        Objects.requireNonNull(key, "key");
        if (key.peer() instanceof PolicyPeer.Cidr cidr) {
            CidrUse use = new CidrUse(key.endpointId(), key.direction(), cidr.prefix());
            Integer references = cidrReferences.get(use);
            if (references != null && references == 1) {
                // Before the last entry: the prefix must never be found without entries behind it.
                map(POLICY_CIDRS).delete(MapLayouts.policyCidrKey(use.endpointId(), use.direction(), use.prefix()));
            }
            boolean deleted = map(POLICY).delete(MapLayouts.policyKey(key));
            if (deleted) {
                cidrReferences.computeIfPresent(use, (u, count) -> count == 1 ? null : count - 1);
            } else if (references != null && references == 1) {
                // Not ours to drop after all: restore the prefix row.
                map(POLICY_CIDRS).update(MapLayouts.policyCidrKey(use.endpointId(), use.direction(), use.prefix()),
                        MapLayouts.policyCidrValue(use.prefix()), BpfMap.UPDATE_ANY);
            }
            return deleted;
        }
        return map(POLICY).delete(MapLayouts.policyKey(key));
    }

    public synchronized int deletePolicies(Collection<PolicyKey> keys) {
        int deleted = 0;
        for (PolicyKey key : keys) {
            if (deletePolicy(key)) {
                deleted++;
            }
        }
        return deleted;
    }

    /** Removes every entry of an endpoint (its pod is gone); how many. */
    public synchronized int deleteEndpointPolicies(int endpointId) {
        List<PolicyKey> keys = policies().stream().map(PolicyEntry::key).filter(k -> k.endpointId() == endpointId).toList();
        return deletePolicies(keys);
    }

    /** Every allow entry with its counter. */
    public List<PolicyEntry> policies() {
        List<PolicyEntry> result = new ArrayList<>();
        BpfMap map = map(POLICY);
        for (byte[] key : map.keys()) {
            map.lookup(key).ifPresent(value -> result.add(
                    new PolicyEntry(MapLayouts.decodePolicyKey(key), MapLayouts.decodePolicyValue(value))));
        }
        return result;
    }

    // --- conntrack and drops ------------------------------------------------------------------------

    /** Every tracked connection (expired ones included until they are overwritten or evicted). */
    public List<ConntrackEntry> conntrack() {
        List<ConntrackEntry> result = new ArrayList<>();
        BpfMap map = map(CONNTRACK);
        for (byte[] key : map.keys()) {
            map.lookup(key).ifPresent(value -> result.add(MapLayouts.decodeConntrack(key, value)));
        }
        return result;
    }

    /**
     * Forgets the connections an endpoint admitted, so the next packet of each is judged by the
     * current policy again (after a policy change that must cut existing connections, or when the
     * endpoint is removed). How many were removed.
     */
    public int flushConntrack(int endpointId) {
        BpfMap map = map(CONNTRACK);
        int removed = 0;
        for (byte[] key : map.keys()) {
            if (MapLayouts.conntrackEndpoint(key) == endpointId && map.delete(key)) {
                removed++;
            }
        }
        return removed;
    }

    /** Drop counters summed over CPUs. */
    public List<DropCount> drops() {
        List<DropCount> result = new ArrayList<>();
        BpfMap map = map(DROPS);
        for (byte[] key : map.keys()) {
            map.lookup(key).ifPresent(value -> result.add(MapLayouts.decodeDrops(key, value, PossibleCpus.count())));
        }
        return result;
    }

    /** Packets dropped for one endpoint, direction and reason (0 when none). */
    public long dropped(int endpointId, TrafficDirection direction, DropReason reason) {
        return drops().stream()
                .filter(d -> d.endpointId() == endpointId && d.direction() == direction && d.reason() == reason)
                .mapToLong(DropCount::packets).sum();
    }

    @Override
    public void close() {
        if (ownsMaps) {
            maps.values().forEach(BpfMap::close);
        }
    }
}
