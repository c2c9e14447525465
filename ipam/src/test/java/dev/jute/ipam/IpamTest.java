package dev.jute.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class IpamTest {
    private static final String NETNS = "/var/run/netns/test";

    static InetAddress ip(String text) {
        return IpAddresses.parse(text);
    }

    static AllocationKey key(String containerId) {
        return new AllocationKey(containerId, "eth0");
    }

    static Ipam open(IpamStore store, List<String> reserved, String... pools) throws IOException {
        return Ipam.open(List.of(pools).stream().map(IpPrefix::parse).toList(),
                reserved.stream().map(AddressRange::parse).toList(), store);
    }

    static Ipam open(String... pools) throws IOException {
        return open(new InMemoryIpamStore(), List.of(), pools);
    }

    /** Allocates until the pool is exhausted and returns every address handed out, in order. */
    static List<InetAddress> exhaust(Ipam ipam, String prefix) throws IOException {
        List<InetAddress> handedOut = new ArrayList<>();
        for (int i = 0; ; i++) {
            try {
                handedOut.add(ipam.allocate(key(prefix + "-" + i), NETNS).getFirst().address());
            } catch (PoolExhaustedException e) {
                assertEquals(IpPrefix.parse(prefix), e.pool());
                assertTrue(e.getMessage().contains(prefix), e.getMessage());
                return handedOut;
            }
        }
    }

    @Test
    void exhaustingAnIpv4Slash29HandsOutExactlyTheAllowedAddresses() throws Exception {
        Ipam ipam = open(new InMemoryIpamStore(), List.of("10.0.0.4"), "10.0.0.0/29");
        List<InetAddress> handedOut = exhaust(ipam, "10.0.0.0/29");
        // .0 network, .1 gateway, .4 reserved, .7 broadcast.
        assertEquals(List.of(ip("10.0.0.2"), ip("10.0.0.3"), ip("10.0.0.5"), ip("10.0.0.6")), handedOut);
        PoolUsage usage = ipam.usage().getFirst();
        assertEquals(BigInteger.valueOf(4), usage.capacity());
        assertEquals(4, usage.allocated());
        assertTrue(usage.exhausted());
        assertThrows(PoolExhaustedException.class, () -> ipam.allocate(key("one-more"), NETNS));
    }

    @Test
    void exhaustingAnIpv6Slash125HandsOutExactlyTheAllowedAddresses() throws Exception {
        Ipam ipam = open(new InMemoryIpamStore(), List.of("fd00::5"), "fd00::/125");
        List<InetAddress> handedOut = exhaust(ipam, "fd00::/125");
        // ::0 subnet-router anycast (network), ::1 gateway, ::5 reserved; ::7 is usable (no broadcast).
        assertEquals(List.of(ip("fd00::2"), ip("fd00::3"), ip("fd00::4"), ip("fd00::6"), ip("fd00::7")), handedOut);
        assertEquals(BigInteger.valueOf(5), ipam.usage().getFirst().capacity());
    }

    @Test
    void reservedRangesAreNeverHandedOut() throws Exception {
        Ipam ipam = open(new InMemoryIpamStore(),
                List.of("10.0.0.8/30", "10.0.0.20-10.0.0.22", "10.0.0.30", "192.168.0.0/16", "fd00::/8"),
                "10.0.0.0/27");
        List<InetAddress> handedOut = exhaust(ipam, "10.0.0.0/27");
        Set<InetAddress> expected = IntStream.rangeClosed(2, 30)
                .filter(i -> !(i >= 8 && i <= 11) && !(i >= 20 && i <= 22) && i != 30)
                .mapToObj(i -> ip("10.0.0." + i))
                .collect(Collectors.toSet());
        assertEquals(expected, new HashSet<>(handedOut));
        assertEquals(expected.size(), handedOut.size());
        assertEquals(BigInteger.valueOf(expected.size()), ipam.usage().getFirst().capacity());
    }

    @Test
    void capacityExcludesNetworkBroadcastGatewayAndIpv6SubnetAnycast() throws Exception {
        Ipam ipam = open(new InMemoryIpamStore(), List.of("10.244.1.10", "10.244.1.11"),
                "10.244.1.0/24", "fd00:10:244:1::/64");
        assertEquals(BigInteger.valueOf(256 - 3 - 2), ipam.usage().get(0).capacity());
        assertEquals(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.valueOf(2 + 128)), ipam.usage().get(1).capacity());
    }

    @Test
    void gatewayIsTheFirstHostAddress() {
        assertEquals(ip("10.244.1.1"), Ipam.gateway(IpPrefix.parse("10.244.1.0/24")));
        assertEquals(ip("10.0.0.2"), Ipam.gateway(IpPrefix.parse("10.0.0.2/31")));
        assertEquals(ip("fd00:10:244:1::1"), Ipam.gateway(IpPrefix.parse("fd00:10:244:1::/64")));
    }

    @Test
    void gatewayIsNeverHandedOut() throws Exception {
        Ipam ipam = open("10.0.0.0/30", "fd00::/126");
        List<Allocation> allocations = ipam.allocate(key("a"), NETNS);
        assertEquals(List.of(ip("10.0.0.2"), ip("fd00::2")), allocations.stream().map(Allocation::address).toList());
        assertTrue(ipam.usage().get(0).exhausted(), "a /30 has exactly one address for pods");
    }

    @Test
    void slash31PoolHasOnePodAddressAndSlash32IsRejected() throws Exception {
        Ipam ipam = open("10.0.0.2/31");
        assertEquals(ip("10.0.0.3"), ipam.allocate(key("a"), NETNS).getFirst().address());
        assertThrows(PoolExhaustedException.class, () -> ipam.allocate(key("b"), NETNS));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open("10.0.0.2/32"));
        assertTrue(e.getMessage().contains("10.0.0.2/32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> open("fd00::1/128"));
        assertThrows(IllegalArgumentException.class,
                () -> open(new InMemoryIpamStore(), List.of("10.0.0.0/29"), "10.0.0.0/29"));
    }

    @Test
    void invalidPoolConfigurationsAreRejected() {
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class,
                () -> open("10.0.0.0/24", "10.0.1.0/24"));
        assertTrue(two.getMessage().contains("10.0.1.0/24"), two.getMessage());
        assertThrows(IllegalArgumentException.class, () -> open());
    }

    @Test
    void dualStackAllocatesOneAddressPerPoolInPoolOrder() throws Exception {
        Ipam ipam = open("fd00::/120", "10.0.0.0/24");
        List<Allocation> allocations = ipam.allocate(key("a"), NETNS, new PodRef("default", "web-0"));
        assertEquals(2, allocations.size());
        assertEquals(IpPrefix.parse("fd00::/120"), allocations.get(0).pool());
        assertEquals(ip("fd00::2"), allocations.get(0).address());
        assertEquals(ip("10.0.0.2"), allocations.get(1).address());
        assertEquals(Optional.of(new PodRef("default", "web-0")), allocations.get(0).pod());
        assertEquals(NETNS, allocations.get(1).netnsPath());
        assertEquals(List.of(1L, 1L), ipam.usage().stream().map(PoolUsage::allocated).toList());
    }

    @Test
    void allocationIsIdempotentPerKey() throws Exception {
        Ipam ipam = open("10.0.0.0/24", "fd00::/120");
        List<Allocation> first = ipam.allocate(key("a"), NETNS);
        List<Allocation> again = ipam.allocate(key("a"), "/var/run/netns/other");
        assertEquals(first, again, "the same key gets the same allocations, unchanged");
        assertEquals(2, ipam.allocations().size());
        List<Allocation> otherInterface = ipam.allocate(new AllocationKey("a", "net1"), NETNS);
        assertNotEquals(first.getFirst().address(), otherInterface.getFirst().address(),
                "another interface of the same container is another attachment");
    }

    @Test
    void dualStackIsAtomicWhenTheSecondPoolIsFull() throws Exception {
        InMemoryIpamStore store = new InMemoryIpamStore();
        Ipam ipam = open(store, List.of(), "10.0.0.0/24", "fd00::/126");
        ipam.allocate(key("a"), NETNS);
        ipam.allocate(key("b"), NETNS); // fd00::2 and fd00::3: the IPv6 pool is now full
        PoolExhaustedException e = assertThrows(PoolExhaustedException.class, () -> ipam.allocate(key("c"), NETNS));
        assertEquals(IpPrefix.parse("fd00::/126"), e.pool());
        assertEquals(List.of(), ipam.find(key("c")));
        assertEquals(2, ipam.usage().get(0).allocated(), "no IPv4 address kept for the failed key");
        assertEquals(4, store.load().allocations().size());
    }

    @Test
    void dualStackIsAtomicWhenTheStoreFailsForTheSecondFamily() throws Exception {
        ScriptedStore store = new ScriptedStore();
        Ipam ipam = open(store, List.of(), "10.0.0.0/24", "fd00::/120");
        store.failAdd = a -> a.family() == IpFamily.IPV6;
        IOException e = assertThrows(IOException.class, () -> ipam.allocate(key("a"), NETNS));
        assertTrue(e.getMessage().contains("scripted"), e.getMessage());
        assertEquals(List.of(), ipam.allocations());
        assertEquals(List.of(), store.load().allocations(), "the IPv4 record was removed again");
        store.failAdd = a -> false;
        List<Allocation> retried = ipam.allocate(key("a"), NETNS);
        assertEquals(2, retried.size());
        assertEquals(ip("fd00::3"), retried.get(1).address(),
                "the address whose write failed is skipped, not retried at once");
    }

    @Test
    void rollbackThatCannotRemoveKeepsTheAllocationForDelToRelease() throws Exception {
        ScriptedStore store = new ScriptedStore();
        Ipam ipam = open(store, List.of(), "10.0.0.0/24", "fd00::/120");
        store.failAdd = a -> a.family() == IpFamily.IPV6;
        store.failRemove = a -> true;
        IOException e = assertThrows(IOException.class, () -> ipam.allocate(key("a"), NETNS));
        assertEquals(1, e.getSuppressed().length, "the failed rollback is reported with the cause");
        assertEquals(1, ipam.find(key("a")).size(), "still recorded, so still known");
        store.failRemove = a -> false;
        assertTrue(ipam.release(key("a")));
        assertEquals(List.of(), store.load().allocations());
    }

    @Test
    void partialAllocationLeftByACrashIsCompleted() throws Exception {
        InMemoryIpamStore store = new InMemoryIpamStore();
        Allocation v4Only = new Allocation(key("a"), ip("10.0.0.7"), IpPrefix.parse("10.0.0.0/24"), NETNS,
                Instant.parse("2025-01-01T00:00:00Z"));
        store.add(v4Only);
        Ipam ipam = open(store, List.of(), "10.0.0.0/24", "fd00::/120");
        List<Allocation> completed = ipam.allocate(key("a"), NETNS);
        assertEquals(v4Only, completed.get(0), "the existing allocation is kept unchanged");
        assertEquals(IpFamily.IPV6, completed.get(1).family());
        assertEquals(2, store.load().allocations().size());
    }

    @Test
    void allocationIsRoundRobinAfterTheLastAllocatedAddress() throws Exception {
        Ipam ipam = open("10.0.0.0/29");
        assertEquals(ip("10.0.0.2"), ipam.allocate(key("a"), NETNS).getFirst().address());
        assertEquals(ip("10.0.0.3"), ipam.allocate(key("b"), NETNS).getFirst().address());
        assertEquals(ip("10.0.0.4"), ipam.allocate(key("c"), NETNS).getFirst().address());
        assertTrue(ipam.release(key("b")));
        assertEquals(ip("10.0.0.5"), ipam.allocate(key("d"), NETNS).getFirst().address(),
                "the just-released .3 is not reused at once");
        assertEquals(ip("10.0.0.6"), ipam.allocate(key("e"), NETNS).getFirst().address());
        assertTrue(ipam.release(key("a")));
        assertEquals(ip("10.0.0.2"), ipam.allocate(key("f"), NETNS).getFirst().address(), "wraps around");
        assertEquals(ip("10.0.0.3"), ipam.allocate(key("g"), NETNS).getFirst().address());
        assertThrows(PoolExhaustedException.class, () -> ipam.allocate(key("h"), NETNS));
    }

    @Test
    void roundRobinResumesFromTheStoredCursor() throws Exception {
        InMemoryIpamStore store = new InMemoryIpamStore();
        try (Ipam ipam = open(store, List.of(), "10.0.0.0/24")) {
            ipam.allocate(key("a"), NETNS);
            ipam.allocate(key("b"), NETNS);
            ipam.release(key("b"));
        }
        Ipam reopened = open(store, List.of(), "10.0.0.0/24");
        assertEquals(ip("10.0.0.4"), reopened.allocate(key("c"), NETNS).getFirst().address());
    }

    @Test
    void withoutACursorRoundRobinResumesAfterTheNewestAllocation() throws Exception {
        InMemoryIpamStore store = new InMemoryIpamStore();
        IpPrefix pool = IpPrefix.parse("10.0.0.0/24");
        store.add(new Allocation(key("old"), ip("10.0.0.50"), pool, NETNS, Instant.parse("2025-01-01T00:00:00Z")));
        store.add(new Allocation(key("new"), ip("10.0.0.9"), pool, NETNS, Instant.parse("2025-01-02T00:00:00Z")));
        Ipam ipam = open(store, List.of(), "10.0.0.0/24");
        assertEquals(ip("10.0.0.10"), ipam.allocate(key("c"), NETNS).getFirst().address());
    }

    @Test
    void releaseIsIdempotent() throws Exception {
        Ipam ipam = open("10.0.0.0/24", "fd00::/120");
        ipam.allocate(key("a"), NETNS);
        assertTrue(ipam.release(key("a")));
        assertFalse(ipam.release(key("a")));
        assertFalse(ipam.release(key("never-allocated")));
        assertEquals(List.of(), ipam.allocations());
        assertEquals(List.of(0L, 0L), ipam.usage().stream().map(PoolUsage::allocated).toList());
    }

    @Test
    void failedReleaseKeepsTheAllocationAndCanBeRetried() throws Exception {
        ScriptedStore store = new ScriptedStore();
        Ipam ipam = open(store, List.of(), "10.0.0.0/24", "fd00::/120");
        ipam.allocate(key("a"), NETNS);
        store.failRemove = a -> a.family() == IpFamily.IPV4;
        assertThrows(IOException.class, () -> ipam.release(key("a")));
        assertEquals(1, ipam.find(key("a")).size(), "the IPv6 half was released, the IPv4 half was not");
        assertEquals(IpFamily.IPV4, ipam.find(key("a")).getFirst().family());
        store.failRemove = a -> false;
        assertTrue(ipam.release(key("a")));
        assertEquals(List.of(), store.load().allocations());
    }

    @Test
    void garbageCollectionReleasesEverythingNotValid() throws Exception {
        Ipam ipam = open("10.0.0.0/24", "fd00::/120");
        for (String id : List.of("a", "b", "c", "d")) {
            ipam.allocate(key(id), NETNS);
        }
        List<Allocation> released = ipam.releaseAllExcept(Set.of(key("b"), key("d"), key("unknown")));
        assertEquals(Set.of(key("a"), key("c")), released.stream().map(Allocation::key).collect(Collectors.toSet()));
        assertEquals(4, released.size());
        assertEquals(Set.of(key("b"), key("d")),
                ipam.allocations().stream().map(Allocation::key).collect(Collectors.toSet()));
        assertEquals(List.of(), ipam.releaseAllExcept(Set.of(key("b"), key("d"))));
    }

    @Test
    void releaseIfReleasesMatchingAllocations() throws Exception {
        Ipam ipam = open("10.0.0.0/24");
        ipam.allocate(key("live"), "/var/run/netns/live");
        ipam.allocate(key("gone"), "/var/run/netns/gone");
        List<Allocation> released = ipam.releaseIf(a -> a.netnsPath().endsWith("gone"));
        assertEquals(List.of(key("gone")), released.stream().map(Allocation::key).toList());
        assertEquals(List.of(key("live")), ipam.allocations().stream().map(Allocation::key).toList());
    }

    @Test
    void releaseIfLeavesAllocationsThatChangedWhileTheConditionRan() throws Exception {
        Ipam ipam = open("10.0.0.0/24");
        ipam.allocate(key("a"), NETNS);
        List<Allocation> released = ipam.releaseIf(candidate -> {
            try {
                // Meanwhile the attachment is deleted and added again: it now holds a different address.
                ipam.release(candidate.key());
                ipam.allocate(candidate.key(), NETNS);
            } catch (IOException | PoolExhaustedException e) {
                throw new AssertionError(e);
            }
            return true;
        });
        assertEquals(List.of(), released);
        assertEquals(ip("10.0.0.3"), ipam.find(key("a")).getFirst().address());
    }

    @Test
    void addressRecordedBehindIpamsBackIsSkippedAndKeptReserved() throws Exception {
        ScriptedStore store = new ScriptedStore();
        store.foreignRecords.add(ip("10.0.0.2"));
        Ipam ipam = open(store, List.of(), "10.0.0.0/29");
        assertEquals(ip("10.0.0.3"), ipam.allocate(key("a"), NETNS).getFirst().address());
        assertEquals(List.of(ip("10.0.0.2")), ipam.unreadableRecords().stream().map(UnreadableRecord::address).toList());
        List<InetAddress> rest = exhaust(ipam, "10.0.0.0/29");
        assertFalse(rest.contains(ip("10.0.0.2")));
        assertEquals(3, rest.size());
    }

    @Test
    void recordsOutsideEveryPoolAreKeptAndReleasable() throws Exception {
        InMemoryIpamStore store = new InMemoryIpamStore();
        Allocation old = new Allocation(key("old"), ip("10.9.0.5"), IpPrefix.parse("10.9.0.0/24"), NETNS,
                Instant.parse("2025-01-01T00:00:00Z"));
        store.add(old);
        Ipam ipam = open(store, List.of(), "10.0.0.0/24");
        assertEquals(List.of(old), ipam.orphanedAllocations());
        assertEquals(List.of(old), ipam.allocations());
        assertEquals(List.of(old), ipam.find(key("old")));
        assertEquals(0, ipam.usage().getFirst().allocated());
        assertEquals(List.of(old), ipam.releaseAllExcept(Set.of()));
        assertEquals(List.of(), ipam.orphanedAllocations());
        assertEquals(List.of(), store.load().allocations());
    }

    @Test
    void recordsOfAResizedPoolThatStillCoversThemAreAdopted() throws Exception {
        InMemoryIpamStore store = new InMemoryIpamStore();
        store.add(new Allocation(key("a"), ip("10.0.0.5"), IpPrefix.parse("10.0.0.0/25"), NETNS,
                Instant.parse("2025-01-01T00:00:00Z")));
        Ipam ipam = open(store, List.of(), "10.0.0.0/24");
        assertEquals(List.of(), ipam.orphanedAllocations());
        assertEquals(IpPrefix.parse("10.0.0.0/24"), ipam.find(key("a")).getFirst().pool());
        assertSame(ipam.find(key("a")).getFirst(), ipam.allocate(key("a"), NETNS).getFirst());
        assertEquals(1, ipam.usage().getFirst().allocated());
    }

    @Test
    void aSlash16CanBeExhaustedQuickly() throws Exception {
        Ipam ipam = open("10.200.0.0/16");
        long start = System.nanoTime();
        List<InetAddress> handedOut = exhaust(ipam, "10.200.0.0/16");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(65536 - 3, handedOut.size());
        assertEquals(handedOut.size(), new HashSet<>(handedOut).size());
        assertFalse(handedOut.contains(ip("10.200.0.1")));
        assertFalse(handedOut.contains(ip("10.200.255.255")));
        assertTrue(millis < 20_000, "exhausting a /16 took " + millis + " ms");
        // Every release-then-allocate in the full pool finds the one free address.
        ipam.release(key("10.200.0.0/16-100"));
        assertEquals(ip("10.200.0.102"), ipam.allocate(key("again"), NETNS).getFirst().address());
    }

    @Test
    void aSlash64AllocatesWithoutScanning() throws Exception {
        // Half of the /64 is reserved: the allocator must jump over 2^63 addresses in one step.
        Ipam ipam = open(new InMemoryIpamStore(), List.of("fd00:10:244:1::/65"), "fd00:10:244:1::/64");
        long start = System.nanoTime();
        Set<InetAddress> handedOut = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            handedOut.add(ipam.allocate(key("k" + i), NETNS).getFirst().address());
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(20_000, handedOut.size());
        assertTrue(handedOut.contains(ip("fd00:10:244:1:8000::")));
        assertTrue(millis < 10_000, "20000 allocations in a /64 took " + millis + " ms");
        assertEquals(BigInteger.ONE.shiftLeft(63).subtract(BigInteger.valueOf(128 + 20_000)),
                ipam.usage().getFirst().available());
    }

    @Test
    void wrapAroundInASlash64StartsAgainAtTheBottom() throws Exception {
        // Everything above fd00::3 is reserved, so the cursor reaches the top after two allocations.
        Ipam ipam = open(new InMemoryIpamStore(), List.of("fd00::4-fd00::ffff:ffff:ffff:ffff"), "fd00::/64");
        assertEquals(ip("fd00::2"), ipam.allocate(key("a"), NETNS).getFirst().address());
        assertEquals(ip("fd00::3"), ipam.allocate(key("b"), NETNS).getFirst().address());
        ipam.release(key("a"));
        assertEquals(ip("fd00::2"), ipam.allocate(key("c"), NETNS).getFirst().address());
        assertThrows(PoolExhaustedException.class, () -> ipam.allocate(key("d"), NETNS));
    }
}
