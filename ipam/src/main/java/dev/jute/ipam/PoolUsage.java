package dev.jute.ipam;

import java.math.BigInteger;

/**
 * How full a pool is, for STATUS ("no addresses left") and metrics.
 *
 * @param pool      the pool
 * @param capacity  how many addresses the pool can hand out at all: its host addresses minus the
 *                  gateway and the reserved addresses
 * @param allocated how many allocations the pool holds (including any on addresses that were reserved
 *                  after they were handed out)
 * @param available how many more addresses can be handed out now; unreadable records count as taken
 */
public record PoolUsage(IpPrefix pool, BigInteger capacity, long allocated, BigInteger available) {
    public boolean exhausted() {
        return available.signum() == 0;
    }
}
