package dev.jute.dataplane.bpf;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The socket-LB hooks work all together or not at all: the reverse hooks are attached before the
 * forward ones, and a hook that cannot be attached detaches every other (an earlier agent's
 * included), so no socket is translated forward without its replies being translated back. The
 * failure is real: something that is not a link sits where a hook's link is pinned. Needs root and a
 * cgroup v2 hierarchy (a test cgroup of its own, no process in it); no traffic.
 *
 * <p>Its names ({@value #PREFIX}) are its own: other BPF test classes remove every {@code jutebpf-} name.
 */
class SocketLoadBalancerAttachFailureTest {

    private static final String PREFIX = "jutesockfail-";

    private BpfTestEnvironment environment;
    private TestCgroup testCgroup;
    private Path cgroup;
    private Path pins;

    @BeforeEach
    void setUp() throws IOException {
        BpfTestEnvironment.assumeBpf();
        BpfTestEnvironment.removeLeftovers(PREFIX);
        testCgroup = TestCgroup.create(PREFIX);
        cgroup = testCgroup.path();
        environment = new BpfTestEnvironment(PREFIX);
        pins = environment.bpfFilesystem().resolve("node");
    }

    @AfterEach
    void tearDown() throws IOException {
        if (environment != null) {
            environment.close(); // the pins go with the BPF filesystem, and the links with them
        }
        if (testCgroup != null) {
            testCgroup.close();
        }
    }

    @Test
    void theReverseHooksAreAttachedBeforeTheForwardOnes() {
        List<SocketLoadBalancer.Hook> order = List.of(SocketLoadBalancer.Hook.values());
        int firstForward = order.indexOf(order.stream().filter(SocketLoadBalancer.Hook::forward).findFirst().orElseThrow());
        assertTrue(order.subList(firstForward, order.size()).stream().allMatch(SocketLoadBalancer.Hook::forward),
                "attach order " + order);
        assertTrue(firstForward > 0 && order.contains(SocketLoadBalancer.Hook.SOCK_RELEASE)
                   && order.indexOf(SocketLoadBalancer.Hook.SOCK_RELEASE) < firstForward);
    }

    @Test
    void aHookThatCannotBeAttachedLeavesNoneAttached() throws IOException {
        try (SocketLoadBalancer first = SocketLoadBalancer.open(pins)) {
            first.attach(cgroup);
        }
        assertEquals(List.of(SocketLoadBalancer.Hook.values()), SocketLoadBalancer.hooksAttachedTo(pins, cgroup));

        // A restarted agent finds the last forward hook's pin taken by something that is not a link.
        SocketLoadBalancer.Hook broken = SocketLoadBalancer.Hook.SENDMSG6;
        assertEquals(1, detachOne(broken));
        Path obstacle = Files.createDirectory(broken.pin(pins));
        try (SocketLoadBalancer restarted = SocketLoadBalancer.open(pins)) {
            BpfException failure = assertThrows(BpfException.class, () -> restarted.attach(cgroup));
            assertTrue(failure.getMessage().contains(broken.program()), failure.getMessage());
        }
        Files.delete(obstacle);

        assertTrue(SocketLoadBalancer.attachment(pins).isEmpty(), "no hook stays pinned");
        assertEquals(List.of(), SocketLoadBalancer.hooksAttachedTo(pins, cgroup));
        String attached = BpfTestEnvironment.run("bpftool", "cgroup", "show", cgroup.toString());
        for (SocketLoadBalancer.Hook hook : SocketLoadBalancer.Hook.values()) {
            assertFalse(attached.contains(hook.program()), "still on the cgroup: " + attached);
        }

        // With the obstacle gone the hooks attach again, all of them.
        try (SocketLoadBalancer again = SocketLoadBalancer.open(pins)) {
            again.attach(cgroup);
        }
        assertEquals(List.of(SocketLoadBalancer.Hook.values()), SocketLoadBalancer.hooksAttachedTo(pins, cgroup));
        assertEquals(SocketLoadBalancer.Hook.values().length, SocketLoadBalancer.detach(pins));
    }

    /** Detaches one pinned hook as an operator would: removing its pin releases the link. */
    private int detachOne(SocketLoadBalancer.Hook hook) throws IOException {
        return Files.deleteIfExists(hook.pin(pins)) ? 1 : 0;
    }
}
