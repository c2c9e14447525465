package dev.jute.agent.service;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServiceIdsTest {

    private static final Duration QUARANTINE = Duration.ofHours(6);

    /** A monotonic clock the test moves; starts near the wrap of a long, as nanoTime may. */
    private static final class Clock {
        long now = Long.MAX_VALUE - Duration.ofHours(1).toNanos();

        void advance(Duration by) {
            now += by.toNanos();
        }
    }

    private final Clock clock = new Clock();
    private final ServiceIds ids = new ServiceIds(QUARANTINE, () -> clock.now);

    @Test
    void idsAreNonZeroUniqueAndDense() {
        Set<Integer> given = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            given.add(ids.next());
        }
        assertEquals(100, given.size());
        assertEquals(1, given.stream().mapToInt(Integer::intValue).min().orElseThrow());
        assertEquals(100, given.stream().mapToInt(Integer::intValue).max().orElseThrow());
    }

    @Test
    void aReleasedIdIsNotReusedUntilItsQuarantineEnds() {
        int first = ids.next();
        int second = ids.next();
        ids.release(first);
        clock.advance(QUARANTINE.minusSeconds(1));
        int third = ids.next();
        assertNotEquals(first, third, "a connection of the deleted frontend may still carry " + first);
        assertEquals(3, third, "the next free one instead");
        assertEquals(1, ids.quarantined());

        clock.advance(Duration.ofSeconds(1));
        assertEquals(first, ids.next(), "once no connection can carry it, the lowest id is reused");
        assertEquals(0, ids.quarantined());
        assertEquals(3, ids.inUse());
        assertNotEquals(second, first);
    }

    @Test
    void quarantinesEndInTheOrderOfTheirDeadlinesWhateverTheReleaseOrder() {
        for (int i = 1; i <= 4; i++) {
            assertEquals(i, ids.next());
        }
        // Found in the pinned nat_ct at start: id 9 only until a short-lived entry expires.
        ids.quarantineUntil(9, clock.now + Duration.ofMinutes(1).toNanos());
        ids.release(2);
        clock.advance(Duration.ofMinutes(2));
        ids.release(1);
        assertEquals(5, ids.next(), "1 and 2 rest");
        assertEquals(6, ids.next());
        assertEquals(7, ids.next());
        assertEquals(8, ids.next());
        assertEquals(9, ids.next(), "9's last connection expired");
        clock.advance(QUARANTINE.minusMinutes(2));
        assertEquals(2, ids.next(), "2 was released first");
        assertEquals(10, ids.next(), "1 still rests");
        clock.advance(Duration.ofMinutes(2));
        assertEquals(1, ids.next());
    }

    @Test
    void afterARestartLiveIdsAreAdoptedAndIdsOnlyConnectionsCarryRestUntilTheyExpire() {
        ServiceIds restarted = new ServiceIds(QUARANTINE, () -> clock.now);
        restarted.adopt(1);
        restarted.adopt(3);
        restarted.quarantineUntil(2, clock.now + Duration.ofHours(2).toNanos());
        restarted.quarantineUntil(3, clock.now + Duration.ofHours(2).toNanos()); // live: stays live
        assertEquals(4, restarted.next());
        assertEquals(5, restarted.next());
        clock.advance(Duration.ofHours(2));
        assertEquals(2, restarted.next());
        assertEquals(6, restarted.next(), "3 is live, not freed by a quarantine");
    }

    @Test
    void pastItsCapacityTheIdWhoseQuarantineEndsFirstIsReusedEarlyRatherThanFailing() {
        ServiceIds small = new ServiceIds(QUARANTINE, () -> clock.now, 3);
        assertEquals(1, small.next());
        assertEquals(2, small.next());
        assertEquals(3, small.next());
        small.release(2);
        clock.advance(Duration.ofMinutes(1));
        small.release(1);
        assertEquals(2, small.next(), "the oldest release");
        assertEquals(1, small.reusedEarly());
        assertEquals(3, small.inUse());
        assertEquals(1, small.next());
        assertThrows(IllegalStateException.class, small::next, "all ids are live: none can be reused");
    }

    @Test
    void theIdSpaceStaysBoundedUnderChurn() {
        // A frontend deleted and another created every second for a day: at most one quarantine's worth rest.
        for (int second = 0; second < 86_400; second++) {
            int id = ids.next();
            ids.release(id);
            clock.advance(Duration.ofSeconds(1));
        }
        long quarantineSeconds = QUARANTINE.toSeconds();
        assertTrue(ids.inUse() <= quarantineSeconds + 1, "in use: " + ids.inUse());
        assertTrue(ids.next() <= quarantineSeconds + 2, "ids stay dense");
        assertEquals(0, ids.reusedEarly());
    }

    @Test
    void misuseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ids.adopt(0));
        assertThrows(IllegalArgumentException.class, () -> ids.release(5), "never given out");
        int id = ids.next();
        ids.release(id);
        assertThrows(IllegalArgumentException.class, () -> ids.release(id), "released twice");
        assertThrows(IllegalArgumentException.class, () -> new ServiceIds(Duration.ofSeconds(-1), () -> 0));
    }
}
