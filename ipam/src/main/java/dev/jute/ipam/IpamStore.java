package dev.jute.ipam;

import java.io.IOException;
import java.net.InetAddress;

/**
 * Durable storage of allocations. {@link Ipam} keeps the working state in memory and calls the store
 * before it changes that state, so that what the store holds is always a superset of what was promised
 * to callers: an allocation is returned only after {@link #add} returned, and forgotten only after
 * {@link #remove} returned.
 *
 * <p>Implementations need not be thread-safe; {@link Ipam} serializes calls.
 */
public interface IpamStore extends AutoCloseable {
    /** Reads every record. Called once, when {@link Ipam} opens. */
    StoredState load() throws IOException;

    /**
     * Durably records an allocation. Exclusive: if a record for the address exists already, nothing is
     * changed and {@link AddressAlreadyRecordedException} is thrown. When this returns, the record
     * survives a crash; when it throws, the record may or may not exist (a later {@link #load} tells).
     */
    void add(Allocation allocation) throws IOException;

    /**
     * Durably removes the record of an allocation's address. Idempotent: a missing record is not an
     * error. When this returns, the removal survives a crash.
     */
    void remove(Allocation allocation) throws IOException;

    /**
     * Remembers the address most recently handed out in a family, so that a restart continues the
     * round-robin instead of immediately reusing a just-released address. Best effort: it may be lost
     * in a crash and must never fail an allocation, so it does not throw.
     */
    void recordCursor(IpFamily family, InetAddress lastAllocated);

    @Override
    void close() throws IOException;
}
