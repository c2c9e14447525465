package dev.jute.dataplane;

import com.sun.jna.NativeLong;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An open handle on a network namespace: a file descriptor on an nsfs file such as
 * {@code /var/run/netns/<name>} or {@code /proc/<pid>/ns/net}. Holding the descriptor keeps the
 * namespace alive even if its bind mount is removed meanwhile.
 *
 * <p>{@code setns(2)} changes the namespace of the calling <em>OS thread</em> only. {@link #call}
 * therefore runs its body on the current platform thread and always switches back in
 * {@code finally}; virtual threads are refused because they can migrate between carrier threads
 * (and would leave a carrier inside the wrong namespace). Threads started by the body inherit the
 * namespace it runs in, so the body must not start thread pools.
 */
public final class NetNamespace implements AutoCloseable {

    /** The namespace of the calling thread (not of the process: threads may differ after setns). */
    private static final Path CURRENT_THREAD_NAMESPACE = Path.of("/proc/thread-self/ns/net");

    /** Set on a thread that could not return to its original namespace; it must never be used again. */
    private static final ThreadLocal<Boolean> POISONED = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private final int fd;
    private final Path path;
    private final AtomicBoolean closed = new AtomicBoolean();

    private NetNamespace(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /**
     * Opens the network namespace at {@code path}.
     *
     * @throws ErrnoException           if the file cannot be opened (ENOENT when it does not exist)
     * @throws IllegalArgumentException if the file is not a network namespace (e.g. a netns bind-mount
     *                                  point whose mount is gone)
     */
    public static NetNamespace open(Path path) {
        int fd = LibC.open(path.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new ErrnoException("open network namespace " + path, LibC.lastErrno());
        }
        if (!isNetworkNamespace(fd)) {
            LibC.close(fd);
            throw new IllegalArgumentException(path + " is not a network namespace");
        }
        return new NetNamespace(fd, path);
    }

    /** Opens the namespace the calling thread is in right now. */
    public static NetNamespace current() {
        return open(CURRENT_THREAD_NAMESPACE);
    }

    /** Whether {@code path} exists and is a network namespace (a live nsfs file, not a stale mount point). */
    public static boolean exists(Path path) {
        int fd = LibC.open(path.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            return false;
        }
        try {
            return isNetworkNamespace(fd);
        } finally {
            LibC.close(fd);
        }
    }

    private static boolean isNetworkNamespace(int fd) {
        int type = LibC.ioctl(fd, new NativeLong(LibC.NS_GET_NSTYPE), new NativeLong(0));
        return type == LibC.CLONE_NEWNET;
    }

    /**
     * Runs {@code body} on the current platform thread while that thread is inside this namespace,
     * then switches the thread back to the namespace it was in before. Exceptions of the body
     * propagate unchanged.
     *
     * @throws IllegalStateException if called on a virtual thread, or on a thread poisoned earlier
     * @throws PoisonedThreadError   if the thread could not return to its original namespace
     */
    public <T> T call(Callable<T> body) throws Exception {
        ensureOpen();
        Thread thread = Thread.currentThread();
        if (thread.isVirtual()) {
            throw new IllegalStateException("NetNamespace.call on virtual thread " + thread
                                            + ": setns needs a platform thread");
        }
        if (POISONED.get()) {
            throw new IllegalStateException("thread " + thread.getName()
                                            + " is stuck in a foreign network namespace and must not be used");
        }
        try (NetNamespace original = current()) {
            LibC.check(LibC.setns(fd, LibC.CLONE_NEWNET), "setns into " + path);
            Throwable failure = null;
            try {
                return body.call();
            } catch (Throwable t) {
                failure = t;
                throw t;
            } finally {
                if (LibC.setns(original.fd, LibC.CLONE_NEWNET) < 0) {
                    int errno = LibC.lastErrno();
                    POISONED.set(Boolean.TRUE);
                    PoisonedThreadError error = new PoisonedThreadError(
                            "thread " + thread.getName() + " cannot return from network namespace " + path
                            + ": " + LibC.describe(errno) + " (errno " + errno + ")");
                    if (failure != null) {
                        error.addSuppressed(failure);
                    }
                    //noinspection ThrowFromFinallyBlock: leaving the thread in the wrong namespace silently is worse
                    throw error;
                }
            }
        }
    }

    /** The file descriptor, for {@code IFLA_NET_NS_FD}; valid until {@link #close()}. */
    public int fd() {
        ensureOpen();
        return fd;
    }

    public Path path() {
        return path;
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("network namespace handle " + path + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            LibC.close(fd);
        }
    }

    @Override
    public String toString() {
        return "NetNamespace[" + path + "]";
    }
}
