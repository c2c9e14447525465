package dev.jute.ipam;

import static dev.jute.ipam.IpamTest.key;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpamConcurrencyTest {
    private static final List<IpPrefix> POOLS = List.of(IpPrefix.parse("10.244.1.0/24"),
            IpPrefix.parse("fd00:10:244:1::/64"));

    @TempDir
    Path dir;

    private static <T> List<T> runConcurrently(int threads, Callable<T> task) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService executor = Executors.newFixedThreadPool(threads)) {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(executor.submit(() -> {
                    start.await();
                    return task.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get());
            }
            return results;
        }
    }

    @Test
    void fiftyThreadsWithDistinctKeysGetFiftyDistinctAddresses() throws Exception {
        List<Allocation> all;
        try (Ipam ipam = Ipam.open(POOLS, List.of(), FileIpamStore.open(dir))) {
            java.util.concurrent.atomic.AtomicInteger ids = new java.util.concurrent.atomic.AtomicInteger();
            List<List<Allocation>> results = runConcurrently(50,
                    () -> ipam.allocate(key("container-" + ids.incrementAndGet()), "/var/run/netns/x"));
            Set<InetAddress> v4 = new HashSet<>();
            Set<InetAddress> v6 = new HashSet<>();
            Set<AllocationKey> keys = new HashSet<>();
            for (List<Allocation> result : results) {
                assertEquals(2, result.size());
                v4.add(result.get(0).address());
                v6.add(result.get(1).address());
                keys.add(result.get(0).key());
            }
            assertEquals(50, keys.size());
            assertEquals(50, v4.size());
            assertEquals(50, v6.size());
            assertEquals(100, ipam.allocations().size());
            assertEquals(List.of(50L, 50L), ipam.usage().stream().map(PoolUsage::allocated).toList());
            all = ipam.allocations();
        }
        try (Ipam reopened = Ipam.open(POOLS, List.of(), FileIpamStore.open(dir))) {
            assertEquals(all, reopened.allocations());
        }
    }

    @Test
    void concurrentRequestsForOneKeyGetTheSameAddresses() throws Exception {
        try (Ipam ipam = Ipam.open(POOLS, List.of(), new InMemoryIpamStore())) {
            List<List<Allocation>> results = runConcurrently(20, () -> ipam.allocate(key("same"), "/var/run/netns/x"));
            assertEquals(1, new HashSet<>(results).size());
            assertEquals(2, ipam.allocations().size());
        }
    }

    @Test
    void concurrentAllocateAndReleaseKeepTheCountsConsistent() throws Exception {
        List<IpPrefix> pools = List.of(IpPrefix.parse("10.0.0.0/20"), IpPrefix.parse("fd00::/64"));
        try (Ipam ipam = Ipam.open(pools, List.of(), new InMemoryIpamStore())) {
            java.util.concurrent.atomic.AtomicInteger ids = new java.util.concurrent.atomic.AtomicInteger();
            runConcurrently(16, () -> {
                for (int i = 0; i < 200; i++) {
                    AllocationKey key = key("k" + ids.incrementAndGet());
                    ipam.allocate(key, "/x");
                    if (i % 2 == 0) {
                        ipam.release(key);
                    }
                }
                return null;
            });
            List<Allocation> remaining = ipam.allocations();
            assertEquals(16 * 100 * 2, remaining.size());
            assertEquals(remaining.size(), remaining.stream().map(Allocation::address).distinct().count());
            assertEquals(List.of(1600L, 1600L), ipam.usage().stream().map(PoolUsage::allocated).toList());
        }
    }
}
