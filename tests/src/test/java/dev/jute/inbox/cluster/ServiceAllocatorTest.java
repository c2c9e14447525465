package dev.jute.inbox.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServiceAllocatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode service(String json) throws Exception {
        return (ObjectNode) JSON.readTree(json);
    }

    @Test
    void allocatesClusterIpsAndNodePortsAndKeepsThemOnUpdate() throws Exception {
        ServiceAllocator allocator = new ServiceAllocator("10.96.0.0/16");
        ObjectNode a = service("{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}}");
        allocator.allocate("default/a", a);
        String ip = a.path("spec").path("clusterIP").asText();
        int nodePort = a.path("spec").path("ports").get(0).path("nodePort").asInt();
        assertTrue(ip.startsWith("10.96."), ip);
        assertTrue(nodePort >= 30000 && nodePort <= 32767);
        // An update that leaves them out keeps them, as the API server does.
        ObjectNode update = service("{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}}");
        allocator.allocate("default/a", update);
        assertEquals(ip, update.path("spec").path("clusterIP").asText());
        assertEquals(nodePort, update.path("spec").path("ports").get(0).path("nodePort").asInt());
        ObjectNode b = service("{\"spec\":{\"ports\":[{\"port\":80}]}}");
        allocator.allocate("default/b", b);
        assertNotEquals(ip, b.path("spec").path("clusterIP").asText());
        assertFalse(b.path("spec").path("ports").get(0).has("nodePort"), "ClusterIP services get no node port");
    }

    @Test
    void rejectsTakenOrOutOfRangeRequestsWithoutTakingAnything() throws Exception {
        ServiceAllocator allocator = new ServiceAllocator("10.96.0.0/16");
        allocator.allocate("default/a", service("{\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.50\",\"ports\":[{\"port\":80,\"nodePort\":30080}]}}"));
        var port = assertThrows(ServiceAllocator.Rejected.class, () -> allocator.allocate("default/b",
                service("{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30080}]}}")));
        assertTrue(port.getMessage().contains("provided port is already allocated"), port.getMessage());
        var ip = assertThrows(ServiceAllocator.Rejected.class, () -> allocator.allocate("default/c",
                service("{\"spec\":{\"clusterIP\":\"10.96.0.50\",\"ports\":[{\"port\":80}]}}")));
        assertTrue(ip.getMessage().contains("provided IP is already allocated"), ip.getMessage());
        assertThrows(ServiceAllocator.Rejected.class, () -> allocator.allocate("default/d",
                service("{\"spec\":{\"clusterIP\":\"10.97.0.1\",\"ports\":[{\"port\":80}]}}")));
        assertThrows(ServiceAllocator.Rejected.class, () -> allocator.allocate("default/e",
                service("{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":80}]}}")));
        // Released on delete: the port can be taken again.
        allocator.release("default/a");
        allocator.allocate("default/b", service("{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30080}]}}"));
    }

    @Test
    void discoveryDocumentsNameTheResourcesKubectlNeeds() {
        assertTrue(DiscoveryDocuments.forPath("/api/v1").orElseThrow().contains("\"name\":\"pods\""));
        assertTrue(DiscoveryDocuments.forPath("/apis/networking.k8s.io/v1").orElseThrow().contains("NetworkPolicy"));
        assertTrue(DiscoveryDocuments.forPath("/apis").orElseThrow().contains("discovery.k8s.io"));
        assertTrue(DiscoveryDocuments.forPath("/version").orElseThrow().contains("\"minor\":\"32\""));
        assertTrue(DiscoveryDocuments.forPath("/api/v1/pods").isEmpty());
    }
}
