package dev.jute.dataplane;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class SysctlTest {

    @Test
    void readsAKey() {
        assertEquals("Linux", Sysctl.read("kernel.ostype"));
    }

    @Test
    void keysCannotEscapeProcSys() {
        assertThrows(IllegalArgumentException.class, () -> Sysctl.read("net..ipv4"));
        assertThrows(IllegalArgumentException.class, () -> Sysctl.write("..", "1"));
        assertThrows(IllegalArgumentException.class, () -> Sysctl.interfaceKey("ipv4", "../all", "forwarding"));
        assertThrows(IllegalArgumentException.class, () -> Sysctl.interfaceKey("ipx", "eth0", "forwarding"));
    }

    @Test
    void interfaceKeysKeepDotsInInterfaceNames() {
        assertEquals(Path.of("/proc/sys/net/ipv4/conf/eth0.100/forwarding"),
                Sysctl.interfaceKey("ipv4", "eth0.100", "forwarding"));
    }

    @Test
    void missingKeyIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sysctl.read("net.ipv4.conf.jute-no-such-if.forwarding"));
        assertTrue(e.getMessage().contains("no such sysctl"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sysctl.write("net.ipv4.conf.jute-no-such-if.forwarding", "1"));
    }
}
