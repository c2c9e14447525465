package dev.jute.agent.service;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Service options the agent's parser hands over, {@code --socket-lb-cgroup} in particular. */
class ServiceOptionsTest {

    private static ServiceOptions parse(String... args) {
        ServiceOptions.Parser parser = new ServiceOptions.Parser();
        List<String> list = List.of(args);
        for (int i = 0; i < list.size(); ) {
            int used = parser.accept(list, i);
            if (used == 0) {
                throw new IllegalArgumentException("not a Service option: " + list.get(i));
            }
            i += used;
        }
        return parser.build();
    }

    @Test
    void socketLbDefaultsToTheHierarchyRootAndTakesADirectoryOrNone() {
        assertEquals(ServiceOptions.SocketLbCgroup.HIERARCHY_ROOT, parse().socketLb());
        assertEquals(ServiceOptions.SocketLbCgroup.HIERARCHY_ROOT, ServiceOptions.defaults().socketLb());
        assertEquals(Path.of("/sys/fs/cgroup/kubepods"), parse("--socket-lb-cgroup", "/sys/fs/cgroup/kubepods/").socketLb().cgroup());
        assertTrue(parse("--socket-lb-cgroup", "none").socketLb().off());
    }

    @Test
    void aRelativeOrMissingCgroupIsRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--socket-lb-cgroup", "unified"))
                .getMessage().contains("absolute"));
        assertThrows(IllegalArgumentException.class, () -> parse("--socket-lb-cgroup"));
    }
}
