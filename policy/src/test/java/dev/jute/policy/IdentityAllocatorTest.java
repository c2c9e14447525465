package dev.jute.policy;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdentityAllocatorTest {

    private static IdentityKey key(String namespace, String... podLabels) {
        return new IdentityKey(namespace, new TreeMap<>(Fixtures.labels(podLabels)),
                new TreeMap<>(Map.of(Namespace.NAME_LABEL, namespace)));
    }

    @Test
    void sameLabelsGiveTheSameIdentityWhileReferenced() {
        IdentityAllocator allocator = new IdentityAllocator();
        int first = allocator.acquire(key("x", "app=web"));
        assertEquals(first, allocator.acquire(key("x", "app=web")));
        assertTrue(first >= IdentityAllocator.FIRST_DYNAMIC);
        assertNotEquals(first, allocator.acquire(key("y", "app=web")), "the namespace is part of the key");
        assertNotEquals(first, allocator.acquire(key("x", "app=db")));
        assertEquals(2, allocator.references(key("x", "app=web")));
        allocator.release(key("x", "app=web"));
        assertEquals(first, allocator.lookup(key("x", "app=web")).orElseThrow(), "still referenced once");
        allocator.release(key("x", "app=web"));
        assertTrue(allocator.lookup(key("x", "app=web")).isEmpty());
        assertTrue(allocator.keyOf(first).isEmpty());
    }

    @Test
    void freedNumbersAreReusedOnlyWhenTheFreshRangeIsExhausted() {
        IdentityAllocator allocator = new IdentityAllocator(IdentityAllocator.FIRST_DYNAMIC + 2);
        int a = allocator.acquire(key("x", "n=a"));
        allocator.release(key("x", "n=a"));
        int b = allocator.acquire(key("x", "n=b"));
        int c = allocator.acquire(key("x", "n=c"));
        assertNotEquals(a, b);
        assertNotEquals(a, c);
        int d = allocator.acquire(key("x", "n=d"));
        assertEquals(a, d, "range exhausted: the freed number comes back");
        assertThrows(IllegalStateException.class, () -> allocator.acquire(key("x", "n=e")));
        assertEquals(key("x", "n=d"), allocator.keyOf(d).orElseThrow());
    }

    @Test
    void releasingAnUnheldKeyIsABug() {
        IdentityAllocator allocator = new IdentityAllocator();
        assertThrows(IllegalStateException.class, () -> allocator.release(key("x", "n=a")));
    }
}
