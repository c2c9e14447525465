package dev.jute.ipam;

import static dev.jute.ipam.IpamTest.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures what an allocate plus release costs on this machine's disk (each is a couple of fsyncs) and
 * prints it; it checks only that every operation did its work, since the figure depends on the disk.
 */
class FileIpamStorePerformanceTest {
    private static final int WARM_UP = 50;
    private static final int MEASURED = 300;

    @TempDir
    Path dir;

    private double millisPerPair(List<String> pools, Path storeDir) throws Exception {
        try (Ipam ipam = Ipam.open(pools.stream().map(IpPrefix::parse).toList(), List.of(),
                FileIpamStore.open(storeDir))) {
            for (int i = 0; i < WARM_UP; i++) {
                ipam.allocate(key("warm-" + i), "/x");
                assertTrue(ipam.release(key("warm-" + i)));
            }
            long start = System.nanoTime();
            for (int i = 0; i < MEASURED; i++) {
                assertEquals(pools.size(), ipam.allocate(key("k" + i), "/x").size());
                assertTrue(ipam.release(key("k" + i)));
            }
            double millis = (System.nanoTime() - start) / 1e6 / MEASURED;
            assertEquals(List.of(), ipam.allocations());
            return millis;
        }
    }

    @Test
    void allocateAndReleaseCost() throws Exception {
        double single = millisPerPair(List.of("10.244.1.0/24"), dir.resolve("single"));
        double dual = millisPerPair(List.of("10.244.1.0/24", "fd00:10:244:1::/64"), dir.resolve("dual"));
        try (var files = Files.list(dir.resolve("dual"))) {
            assertEquals(List.of("last-allocated-ipv4", "last-allocated-ipv6", "lock"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        System.out.printf("FileIpamStore in %s: allocate+release %.2f ms (single stack), %.2f ms (dual stack)%n",
                dir, single, dual);
    }
}
