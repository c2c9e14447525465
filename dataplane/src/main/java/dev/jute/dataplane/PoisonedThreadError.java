package dev.jute.dataplane;

/**
 * A thread entered another network namespace and could not get back. Everything it would do next
 * (sockets, sysctl writes, threads it starts) would silently land in the wrong namespace, so this is
 * an {@link Error}: it should end the thread, not be caught and ignored.
 */
public final class PoisonedThreadError extends Error {
    public PoisonedThreadError(String message) {
        super(message);
    }
}
