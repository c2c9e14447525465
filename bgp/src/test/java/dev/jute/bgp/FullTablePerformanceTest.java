package dev.jute.bgp;

import dev.jute.bgp.message.AsPath;
import dev.jute.bgp.rib.RouteAttributes;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A full table of 100,000 IPv4 prefixes over a real loopback session: the sender holds them before
 * the session comes up, so the measurement covers encoding the initial dump, TCP, decoding, import
 * into Adj-RIB-In and Loc-RIB and the route listener, until the last prefix is in the receiver.
 */
class FullTablePerformanceTest {
    static final int PREFIXES = 100_000;
    /** Like a real table: many prefixes share one of a few hundred attribute sets. */
    static final int ATTRIBUTE_SETS = 500;

    @Test
    void receivesAFullTableQuicklyAndLeanly() throws Exception {
        AtomicInteger received = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(1);
        RouteListener counting = new RouteListener() {
            @Override
            public void routeAdded(Route route) {
                if (received.incrementAndGet() == PREFIXES) {
                    all.countDown();
                }
            }
        };
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        try (BgpSpeaker receiver = BgpSpeaker.builder().localAs(64512).routerId(0x01010101L).listen(lo, 0)
                .routeListener(counting).build().start();
             BgpSpeaker sender = BgpSpeaker.builder().localAs(65001).routerId(0x02020202L).build().start()) {
            List<List<Prefix>> groups = new ArrayList<>();
            for (int g = 0; g < ATTRIBUTE_SETS; g++) {
                groups.add(new ArrayList<>());
            }
            for (int i = 0; i < PREFIXES; i++) {
                // 100k distinct /24s in 11.0.0.0/8 onwards
                long net = (11L << 24) + ((long) i << 8);
                groups.get(i % ATTRIBUTE_SETS).add(new Prefix(AddressFamily.IPV4, 0, net, 24));
            }
            for (int g = 0; g < ATTRIBUTE_SETS; g++) {
                RouteAttributes a = RouteAttributes.local(null).withAsPath(AsPath.sequence(65100 + g % 50, 65200 + g))
                        .withMed(g).withCommunities(List.of(65001 << 16 | g));
                sender.announce(groups.get(g), null, a);
            }
            assertEquals(PREFIXES, sender.locRibSize());

            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            long heapBefore = usedHeapAfterGc(memory);
            receiver.addPeer(PeerConfig.builder(InetAddress.getByName("127.0.0.5"), 65001).passive(true).build());
            long start = System.nanoTime();
            sender.addPeer(PeerConfig.builder(lo, 64512).port(receiver.listenPort())
                    .localAddress(InetAddress.getByName("127.0.0.5")).build());
            assertTrue(all.await(120, TimeUnit.SECONDS), "received " + received.get());
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            long heapAfter = usedHeapAfterGc(memory);
            long deltaMb = (heapAfter - heapBefore) / (1024 * 1024);

            assertEquals(PREFIXES, receiver.locRibSize());
            PeerStatus status = receiver.peerStatus().get(0);
            assertEquals(PREFIXES, status.prefixesReceived());
            assertEquals(PREFIXES, sender.peerStatus().get(0).prefixesAdvertised());
            Route sample = receiver.bestRoute(new Prefix(AddressFamily.IPV4, 0, 11L << 24, 24));
            assertEquals(AsPath.sequence(65001, 65100, 65200), sample.attributes().asPath());

            System.out.printf("BGP full table: %d IPv4 prefixes (%d attribute sets) received in %d ms, "
                            + "heap delta %d MB (receiver RIBs + sender Adj-RIB-Out), transport %s%n",
                    PREFIXES, ATTRIBUTE_SETS, elapsed.toMillis(), deltaMb, receiver.transportName());
            assertTrue(deltaMb < 300, "heap delta " + deltaMb + " MB");
            // Generous bound for a shared 2-core CI box; the measured value is printed above.
            assertTrue(elapsed.toSeconds() < 30, "took " + elapsed.toMillis() + " ms");
        }
    }

    private static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
