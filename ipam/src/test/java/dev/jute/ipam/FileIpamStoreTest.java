package dev.jute.ipam;

import static dev.jute.ipam.IpamTest.ip;
import static dev.jute.ipam.IpamTest.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileIpamStoreTest {
    private static final String NETNS = "/var/run/netns/cni-1234";
    private static final List<String> DUAL_STACK = List.of("10.244.1.0/24", "fd00:10:244:1::/64");

    @TempDir
    Path dir;

    private Ipam open(List<String> pools) throws IOException {
        return Ipam.open(pools.stream().map(IpPrefix::parse).toList(), List.of(), FileIpamStore.open(dir));
    }

    private Set<String> fileNames() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void stateAfterRestartEqualsStateBefore() throws Exception {
        List<Allocation> before;
        List<PoolUsage> usageBefore;
        try (Ipam ipam = open(DUAL_STACK)) {
            for (int i = 0; i < 10; i++) {
                ipam.allocate(key("c" + i), NETNS + i, new PodRef("ns" + i, "pod-" + i));
            }
            ipam.allocate(new AllocationKey("c0", "net1"), NETNS);
            ipam.release(key("c3"));
            ipam.release(key("c7"));
            before = ipam.allocations();
            usageBefore = ipam.usage();
        }
        try (Ipam reopened = open(DUAL_STACK)) {
            assertEquals(before, reopened.allocations());
            assertEquals(usageBefore, reopened.usage());
            assertEquals(List.of(), reopened.unreadableRecords());
            assertEquals(List.of(), reopened.orphanedAllocations());
        }
    }

    @Test
    void recordsAreOneReadableFilePerAddress() throws Exception {
        try (Ipam ipam = open(DUAL_STACK)) {
            ipam.allocate(key("0f3c9a"), NETNS, new PodRef("default", "web-0"));
        }
        assertEquals(Set.of("10.244.1.2", "fd00:10:244:1::2", "lock", "last-allocated-ipv4", "last-allocated-ipv6"),
                fileNames());
        String record = Files.readString(dir.resolve("10.244.1.2"));
        for (String line : List.of("address=10.244.1.2", "pool=10.244.1.0/24", "container-id=0f3c9a", "ifname=eth0",
                "netns=" + NETNS, "pod-namespace=default", "pod-name=web-0")) {
            assertTrue(record.lines().anyMatch(line::equals), "record has " + line + ":\n" + record);
        }
        assertEquals("fd00:10:244:1::2\n", Files.readString(dir.resolve("last-allocated-ipv6")));
    }

    @Test
    void releaseRemovesTheRecordFile() throws Exception {
        try (Ipam ipam = open(DUAL_STACK)) {
            ipam.allocate(key("a"), NETNS);
            ipam.release(key("a"));
        }
        assertFalse(fileNames().contains("10.244.1.2"));
        assertFalse(fileNames().contains("fd00:10:244:1::2"));
    }

    @Test
    void leftoverTemporaryFilesAreRemovedOnOpenAndTheirAddressesAreFree() throws Exception {
        Files.writeString(dir.resolve(".tmp-10.244.1.2.1"), "half a reco");
        Files.writeString(dir.resolve(".tmp-last-allocated-ipv4"), "10.244");
        try (Ipam ipam = open(List.of("10.244.1.0/24"))) {
            assertEquals(Set.of("lock"), fileNames());
            assertEquals(ip("10.244.1.2"), ipam.allocate(key("a"), NETNS).getFirst().address());
        }
    }

    @Test
    void corruptRecordKeepsItsAddressReservedAndIsReported() throws Exception {
        try (Ipam ipam = open(List.of("10.244.1.0/29"))) {
            ipam.allocate(key("a"), NETNS); // .2
            ipam.allocate(key("b"), NETNS); // .3
        }
        // A bit flip that still parses (the container ID changes) and a torn record.
        Path flipped = dir.resolve("10.244.1.2");
        Files.writeString(flipped, Files.readString(flipped).replace("container-id=a", "container-id=q"));
        Path torn = dir.resolve("10.244.1.3");
        byte[] full = Files.readAllBytes(torn);
        Files.write(torn, java.util.Arrays.copyOf(full, full.length / 2));
        Files.writeString(dir.resolve("10.244.1.5"), "not a record at all\n");
        try (Ipam ipam = open(List.of("10.244.1.0/29"))) {
            assertEquals(List.of(), ipam.allocations());
            List<UnreadableRecord> unreadable = ipam.unreadableRecords();
            assertEquals(List.of(ip("10.244.1.2"), ip("10.244.1.3"), ip("10.244.1.5")),
                    unreadable.stream().map(UnreadableRecord::address).toList());
            assertTrue(unreadable.get(0).problem().contains("checksum"), unreadable.get(0).problem());
            assertTrue(unreadable.get(0).location().endsWith("10.244.1.2"));
            List<InetAddress> handedOut = IpamTest.exhaust(ipam, "10.244.1.0/29");
            assertEquals(List.of(ip("10.244.1.4"), ip("10.244.1.6")), handedOut);
            assertEquals(3, ipam.usage().getFirst().capacity().intValue() - handedOut.size());
        }
        assertTrue(Files.exists(flipped) && Files.exists(torn), "damaged records are left for an operator");
    }

    @Test
    void nonCanonicalFileNameIsTreatedAsUnreadableAndStrayFilesAreIgnored() throws Exception {
        Allocation allocation = new Allocation(key("a"), ip("fd00::5"), IpPrefix.parse("fd00::/120"), NETNS,
                Instant.parse("2025-01-01T00:00:00Z"));
        Files.write(dir.resolve("fd00:0::5"), AllocationRecordCodec.encode(allocation));
        Files.writeString(dir.resolve("README"), "notes from an operator");
        try (Ipam ipam = open(List.of("fd00::/120"))) {
            assertEquals(List.of(ip("fd00::5")),
                    ipam.unreadableRecords().stream().map(UnreadableRecord::address).toList());
            assertTrue(ipam.unreadableRecords().getFirst().problem().contains("canonical"));
            assertEquals(List.of(), ipam.allocations());
        }
        assertTrue(Files.exists(dir.resolve("README")));
    }

    @Test
    void aSecondOpenOfTheSameDirectoryFails() throws Exception {
        try (FileIpamStore first = FileIpamStore.open(dir)) {
            IpamStoreLockedException e = assertThrows(IpamStoreLockedException.class,
                    () -> FileIpamStore.open(dir.resolve(".").resolve("..").resolve(dir.getFileName())));
            assertTrue(e.getMessage().contains(dir.toRealPath().toString()), e.getMessage());
            first.add(new Allocation(key("a"), ip("10.0.0.2"), IpPrefix.parse("10.0.0.0/24"), NETNS, Instant.now()));
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(dir.resolve("lock")));
        }
        try (FileIpamStore again = FileIpamStore.open(dir)) {
            assertEquals(1, again.load().allocations().size());
        }
    }

    @Test
    void closedStoreRefusesWrites() throws Exception {
        FileIpamStore store = FileIpamStore.open(dir);
        store.close();
        store.close();
        assertThrows(IOException.class, () -> store.add(
                new Allocation(key("a"), ip("10.0.0.2"), IpPrefix.parse("10.0.0.0/24"), NETNS, Instant.now())));
    }

    @Test
    void addIsExclusive() throws Exception {
        try (FileIpamStore store = FileIpamStore.open(dir)) {
            IpPrefix pool = IpPrefix.parse("10.0.0.0/24");
            Allocation first = new Allocation(key("a"), ip("10.0.0.2"), pool, NETNS, Instant.now());
            store.add(first);
            AddressAlreadyRecordedException e = assertThrows(AddressAlreadyRecordedException.class,
                    () -> store.add(new Allocation(key("b"), ip("10.0.0.2"), pool, NETNS, Instant.now())));
            assertEquals(ip("10.0.0.2"), e.address());
            assertEquals(List.of(first), store.load().allocations());
            assertEquals(Set.of("10.0.0.2", "lock"), fileNames(), "no temporary file left behind");
            store.remove(first);
            store.remove(first);
            assertEquals(List.of(), store.load().allocations());
        }
    }

    @Test
    void recordsNoLongerCoveredByThePoolsAreKeptAndReported() throws Exception {
        try (Ipam ipam = open(List.of("10.244.1.0/24"))) {
            ipam.allocate(key("a"), NETNS);
        }
        try (Ipam ipam = open(List.of("10.99.0.0/24"))) {
            assertEquals(List.of(ip("10.244.1.2")),
                    ipam.orphanedAllocations().stream().map(Allocation::address).toList());
            assertEquals(ip("10.99.0.2"), ipam.allocate(key("b"), NETNS).getFirst().address());
        }
        assertTrue(Files.exists(dir.resolve("10.244.1.2")), "an orphaned record is never dropped silently");
        try (Ipam ipam = open(List.of("10.99.0.0/24"))) {
            assertEquals(1, ipam.orphanedAllocations().size());
            assertTrue(ipam.release(key("a")));
        }
        assertFalse(Files.exists(dir.resolve("10.244.1.2")));
    }

    @Test
    void restartDoesNotReuseTheMostRecentlyReleasedAddress() throws Exception {
        try (Ipam ipam = open(DUAL_STACK)) {
            ipam.allocate(key("a"), NETNS);
            ipam.allocate(key("b"), NETNS);
            ipam.release(key("b"));
        }
        try (Ipam ipam = open(DUAL_STACK)) {
            List<Allocation> next = ipam.allocate(key("c"), NETNS);
            assertEquals(List.of(ip("10.244.1.4"), ip("fd00:10:244:1::4")),
                    next.stream().map(Allocation::address).toList());
        }
    }

    @Test
    void unreadableCursorFallsBackToTheNewestRecord() throws Exception {
        try (Ipam ipam = open(List.of("10.244.1.0/24"))) {
            ipam.allocate(key("a"), NETNS);
            ipam.allocate(key("b"), NETNS);
        }
        Files.writeString(dir.resolve("last-allocated-ipv4"), "garbage");
        try (Ipam ipam = open(List.of("10.244.1.0/24"))) {
            assertEquals(ip("10.244.1.4"), ipam.allocate(key("c"), NETNS).getFirst().address());
        }
    }

    @Test
    void recordCodecRoundTripsAndDetectsDamage() {
        Allocation allocation = new Allocation(new AllocationKey("id with spaces\\and=signs", "eth0"),
                ip("fd00::7"), IpPrefix.parse("fd00::/64"), "/proc/123/ns/net", Instant.parse("2025-05-01T10:00:00.123456789Z"),
                java.util.Optional.of(new PodRef("kube-system", "coredns-x")));
        byte[] encoded = AllocationRecordCodec.encode(allocation);
        assertEquals(allocation, AllocationRecordCodec.decode(encoded));
        String text = new String(encoded, StandardCharsets.UTF_8);
        assertTrue(text.contains("container-id=id with spaces\\\\and=signs\n"), text);
        for (int cut = 0; cut < encoded.length; cut++) {
            byte[] truncated = java.util.Arrays.copyOf(encoded, cut);
            assertThrows(IllegalArgumentException.class, () -> AllocationRecordCodec.decode(truncated),
                    "truncated to " + cut + " bytes");
        }
        for (int i = 0; i < encoded.length; i++) {
            byte[] damaged = encoded.clone();
            damaged[i] ^= 0x04;
            assertThrows(IllegalArgumentException.class, () -> AllocationRecordCodec.decode(damaged),
                    "bit flipped at " + i);
        }
    }
}
