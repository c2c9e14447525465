package dev.jute.agent.service;

import java.util.BitSet;

/**
 * Service ids of the frontends one node programs: non-zero, unique, reused after release. Ids found
 * in the pinned maps are adopted so a restarted agent never gives a live id to another frontend.
 */
final class ServiceIds {

    /** The maps' id is 32 bits; a node never needs more than a few hundred thousand frontends. */
    static final int MAX_ID = Integer.MAX_VALUE;

    private final BitSet used = new BitSet();
    private int hint = 1;

    void adopt(int id) {
        if (id <= 0) {
            throw new IllegalArgumentException("service id " + id + " cannot be adopted");
        }
        used.set(id);
    }

    int next() {
        int id = used.nextClearBit(hint);
        if (id <= 0 || id == MAX_ID) {
            id = used.nextClearBit(1);
            if (id <= 0 || id == MAX_ID) {
                throw new IllegalStateException("no service id is free");
            }
        }
        used.set(id);
        hint = id + 1;
        return id;
    }

    void release(int id) {
        used.clear(id);
        hint = Math.min(hint, id);
    }
}
