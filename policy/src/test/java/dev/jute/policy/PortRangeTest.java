package dev.jute.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PortRangeTest {

    @Test
    void prefixBitSemantics() {
        PortPrefix p = new PortPrefix(80, 12);
        assertEquals(80, p.first());
        assertEquals(95, p.last());
        assertEquals(16, p.size());
        assertTrue(p.matches(80));
        assertTrue(p.matches(95));
        assertFalse(p.matches(79));
        assertFalse(p.matches(96));
        assertEquals(List.of(PortPrefix.single(443)), PortRange.single(443).toPrefixes());
        assertEquals(List.of(PortPrefix.ALL), PortRange.ALL.toPrefixes());
        assertEquals(65536, PortPrefix.ALL.size());
        assertThrows(IllegalArgumentException.class, () -> new PortPrefix(81, 12), "bits below the length must be 0");
        assertThrows(IllegalArgumentException.class, () -> new PortPrefix(0, 17));
    }

    @Test
    void knownSplits() {
        assertEquals(List.of(new PortPrefix(80, 12)), new PortRange(80, 95).toPrefixes());
        assertEquals(List.of(new PortPrefix(80, 12), new PortPrefix(96, 16)), new PortRange(80, 96).toPrefixes());
        assertEquals(List.of(new PortPrefix(1000, 13), new PortPrefix(1008, 12), new PortPrefix(1024, 16)),
                new PortRange(1000, 1024).toPrefixes());
        assertEquals(30, new PortRange(1, 65534).toPrefixes().size(), "the worst case");
    }

    /** The union of the prefixes is exactly the range: ascending, adjacent, aligned, inside, and nothing missing. */
    private static void assertExactCover(int first, int last) {
        List<PortPrefix> prefixes = new PortRange(first, last).toPrefixes();
        int expectedNext = first;
        for (PortPrefix prefix : prefixes) {
            if (prefix.first() != expectedNext) {
                throw new AssertionError(first + "-" + last + ": gap or overlap at " + prefix + " in " + prefixes);
            }
            if ((prefix.first() & (prefix.size() - 1)) != 0) {
                throw new AssertionError(first + "-" + last + ": unaligned " + prefix);
            }
            expectedNext = prefix.last() + 1;
        }
        if (expectedNext != last + 1) {
            throw new AssertionError(first + "-" + last + ": cover ends at " + (expectedNext - 1) + " in " + prefixes);
        }
    }

    /** An independent minimal cover: split the 16-bit trie from the root, keeping nodes wholly inside. */
    private static void minimalCover(int first, int last, int base, int length, List<PortPrefix> out) {
        PortPrefix node = new PortPrefix(base, length);
        if (node.last() < first || node.first() > last) {
            return;
        }
        if (node.first() >= first && node.last() <= last) {
            out.add(node);
            return;
        }
        int half = node.size() / 2;
        minimalCover(first, last, base, length + 1, out);
        minimalCover(first, last, base + half, length + 1, out);
    }

    @Test
    void everyRangeWithinTheFirst2048PortsIsCoveredExactlyAndMinimally() {
        for (int first = 0; first < 2048; first++) {
            for (int last = first; last < 2048; last++) {
                assertExactCover(first, last);
            }
        }
        for (int first = 0; first < 512; first++) {
            for (int last = first; last < 512; last++) {
                List<PortPrefix> minimal = new ArrayList<>();
                minimalCover(first, last, 0, 0, minimal);
                assertEquals(minimal, new PortRange(first, last).toPrefixes(), first + "-" + last);
            }
        }
    }

    @Test
    void everyRangeTouchingAnEndOfThePortSpaceIsCoveredExactly() {
        for (int port = 0; port <= PortRange.MAX_PORT; port++) {
            assertExactCover(0, port);
            assertExactCover(port, PortRange.MAX_PORT);
            assertExactCover(port, port);
        }
    }

    @Test
    void randomRangesAcrossThePortSpaceAreCoveredExactlyAndMinimally() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 200_000; i++) {
            int a = random.nextInt(PortRange.MAX_PORT + 1);
            int b = random.nextInt(PortRange.MAX_PORT + 1);
            int first = Math.min(a, b);
            int last = Math.max(a, b);
            assertExactCover(first, last);
            if (i % 20 == 0) {
                List<PortPrefix> minimal = new ArrayList<>();
                minimalCover(first, last, 0, 0, minimal);
                assertEquals(minimal, new PortRange(first, last).toPrefixes(), first + "-" + last);
            }
        }
    }

    @Test
    void badRangesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new PortRange(10, 9));
        assertThrows(IllegalArgumentException.class, () -> new PortRange(-1, 9));
        assertThrows(IllegalArgumentException.class, () -> new PortRange(1, 65536));
    }
}
