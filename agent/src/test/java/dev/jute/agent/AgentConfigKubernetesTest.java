package dev.jute.agent;

import dev.jute.agent.k8s.RoutingMode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentConfigKubernetesTest {

    @Test
    void staticModeWithPodCidrs() {
        AgentConfig config = AgentConfig.parse(List.of("--node-name", "n1", "--pod-cidr", "10.244.1.0/24"));
        assertEquals(AgentConfig.KubernetesMode.STATIC, config.kubernetes());
        assertEquals(RoutingMode.DIRECT, config.routing());
        assertNull(config.healthListen());
    }

    @Test
    void kubeconfigModeTakesNoPodCidrs() throws Exception {
        Path kubeconfig = Files.createTempFile("kubeconfig", "");
        try {
            AgentConfig config = AgentConfig.parse(List.of("--node-name", "n1", "--kubeconfig", kubeconfig.toString(),
                    "--routing", "bgp", "--health-listen", "127.0.0.1:9765"));
            assertEquals(AgentConfig.KubernetesMode.KUBECONFIG, config.kubernetes());
            assertEquals(List.of(), config.podCidrs());
            assertEquals(RoutingMode.BGP, config.routing());
            assertEquals(9765, config.healthListen().getPort());
            var both = assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(List.of("--kubeconfig",
                    kubeconfig.toString(), "--pod-cidr", "10.244.1.0/24")));
            assertTrue(both.getMessage().contains("exclude each other"), both.getMessage());
        } finally {
            Files.delete(kubeconfig);
        }
    }

    @Test
    void badValuesAreRejectedClearly() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(List.of("--kubeconfig", "/nonexistent/kc")))
                .getMessage().contains("cannot read the kubeconfig"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(List.of("--pod-cidr", "10.0.0.0/24",
                "--routing", "ospf"))).getMessage().contains("direct or bgp"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(List.of("--pod-cidr", "10.0.0.0/24",
                "--health-listen", "9765"))).getMessage().contains("HOST:PORT"));
    }
}
