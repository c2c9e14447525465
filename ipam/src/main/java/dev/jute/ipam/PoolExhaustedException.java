package dev.jute.ipam;

/** No free address is left in a pool. */
public final class PoolExhaustedException extends Exception {
    private final IpPrefix pool;

    public PoolExhaustedException(IpPrefix pool) {
        super("no free address left in pool " + pool);
        this.pool = pool;
    }

    public IpPrefix pool() {
        return pool;
    }
}
