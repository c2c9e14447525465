package dev.jute.dataplane;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Finding the cgroup v2 mount in mountinfo lines as pure v2, hybrid and containerised hosts write them. */
class Cgroup2Test {

    @Test
    void pureV2HostMountsTheHierarchyAtSysFsCgroup() {
        assertEquals(Optional.of(Path.of("/sys/fs/cgroup")), Cgroup2.mountRoot(List.of(
                "22 29 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw",
                "26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate")));
    }

    @Test
    void hybridHostMountsItUnderUnified() {
        assertEquals(Optional.of(Path.of("/sys/fs/cgroup/unified")), Cgroup2.mountRoot(List.of(
                "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
                "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
                "99 23 0:38 / /run/elsewhere rw,relatime - cgroup2 cgroup2 rw",
                "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw")));
    }

    @Test
    void aBindMountOfASubtreeIsNotTheRootAndEscapesAreDecoded() {
        assertEquals(Optional.empty(), Cgroup2.mountRoot(List.of(
                "500 400 0:30 /kubepods/pod1 /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw")));
        assertEquals(Optional.of(Path.of("/mnt/my cgroup")), Cgroup2.mountRoot(List.of(
                "41 31 0:38 / /mnt/my\\040cgroup rw,relatime shared:9 - cgroup2 cgroup2 rw")));
        assertEquals(Optional.empty(), Cgroup2.mountRoot(List.of()));
    }
}
