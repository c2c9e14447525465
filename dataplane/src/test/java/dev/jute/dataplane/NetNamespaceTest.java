package dev.jute.dataplane;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** What needs no privileges: opening, type checks, and the virtual-thread refusal. */
class NetNamespaceTest {

    @Test
    void currentIsANetworkNamespace() {
        try (NetNamespace current = NetNamespace.current()) {
            assertTrue(current.fd() >= 0);
        }
        assertTrue(NetNamespace.exists(Path.of("/proc/self/ns/net")));
    }

    @Test
    void otherFilesAreNotNetworkNamespaces() {
        assertFalse(NetNamespace.exists(Path.of("/proc/self/ns/uts")));
        assertFalse(NetNamespace.exists(Path.of("/etc/hostname")));
        assertFalse(NetNamespace.exists(Path.of("/var/run/netns/jute-no-such-namespace")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetNamespace.open(Path.of("/proc/self/ns/uts")));
        assertTrue(e.getMessage().contains("not a network namespace"));
        ErrnoException missing = assertThrows(ErrnoException.class, () -> NetNamespace.open(Path.of("/var/run/netns/jute-no-such-namespace")));
        assertEquals(Errno.ENOENT, missing.errno());
        assertTrue(missing.getMessage().contains("No such file or directory"), missing.getMessage());
    }

    @Test
    void refusesVirtualThreads() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Boolean> bodyRan = new AtomicReference<>(false);
        try (NetNamespace current = NetNamespace.current()) {
            Thread.ofVirtual().start(() -> {
                try {
                    current.call(() -> bodyRan.getAndSet(true));
                } catch (Throwable t) {
                    failure.set(t);
                }
            }).join();
        }
        assertInstanceOf(IllegalStateException.class, failure.get());
        assertTrue(failure.get().getMessage().contains("virtual thread"));
        assertFalse(bodyRan.get());
    }

    @Test
    void closedHandleCannotBeUsed() {
        NetNamespace namespace = NetNamespace.current();
        namespace.close();
        namespace.close(); // idempotent
        assertThrows(IllegalStateException.class, namespace::fd);
        assertThrows(IllegalStateException.class, () -> namespace.call(() -> 1));
    }
}
