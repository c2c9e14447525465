package dev.jute.inbox.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

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

    private static final String V4 = "10.96.0.0/16";
    private static final String V6 = "fd00:10:96::/112";

    private static List<String> texts(ObjectNode service, String field) {
        List<String> texts = new ArrayList<>();
        service.path("spec").path(field).forEach(n -> texts.add(n.asText()));
        return texts;
    }

    private static String rejection(ServiceAllocator allocator, String key, String json) {
        return assertThrows(ServiceAllocator.Rejected.class, () -> allocator.allocate(key, service(json))).getMessage();
    }

    @Test
    void singleStackByDefaultAndIpv6OnRequest() throws Exception {
        ServiceAllocator allocator = new ServiceAllocator(V4, V6);
        ObjectNode plain = service("{\"spec\":{\"selector\":{\"app\":\"a\"},\"ports\":[{\"port\":80}]}}");
        allocator.allocate("default/plain", plain);
        assertEquals("SingleStack", plain.path("spec").path("ipFamilyPolicy").asText());
        assertEquals(List.of("IPv4"), texts(plain, "ipFamilies"));
        assertEquals(1, texts(plain, "clusterIPs").size());
        assertTrue(plain.path("spec").path("clusterIP").asText().startsWith("10.96."));

        ObjectNode six = service("{\"spec\":{\"ipFamilies\":[\"IPv6\"],\"selector\":{\"app\":\"a\"},\"ports\":[{\"port\":80}]}}");
        allocator.allocate("default/six", six);
        assertEquals(List.of("IPv6"), texts(six, "ipFamilies"));
        String ip = six.path("spec").path("clusterIP").asText();
        assertTrue(ip.startsWith("fd00:10:96::"), "compressed as the API prints it: " + ip);
        assertEquals(List.of(ip), texts(six, "clusterIPs"));
    }

    @Test
    void dualStackPoliciesOrderTheAddressesByFamily() throws Exception {
        ServiceAllocator allocator = new ServiceAllocator(V4, V6);
        ObjectNode prefer = service("{\"spec\":{\"ipFamilyPolicy\":\"PreferDualStack\",\"ports\":[{\"port\":80}]}}");
        allocator.allocate("default/prefer", prefer);
        assertEquals(List.of("IPv4", "IPv6"), texts(prefer, "ipFamilies"));
        List<String> ips = texts(prefer, "clusterIPs");
        assertTrue(ips.get(0).startsWith("10.96.") && ips.get(1).startsWith("fd00:10:96::"), ips.toString());
        assertEquals(ips.get(0), prefer.path("spec").path("clusterIP").asText());

        ObjectNode require = service("{\"spec\":{\"ipFamilyPolicy\":\"RequireDualStack\",\"ipFamilies\":[\"IPv6\"],\"ports\":[{\"port\":80}]}}");
        allocator.allocate("default/require", require);
        assertEquals(List.of("IPv6", "IPv4"), texts(require, "ipFamilies"));
        List<String> sixFirst = texts(require, "clusterIPs");
        assertTrue(sixFirst.get(0).contains(":") && !sixFirst.get(1).contains(":"), "primary follows the first family: " + sixFirst);

        // An update that leaves policy and addresses out keeps both families' addresses.
        ObjectNode update = service("{\"spec\":{\"ports\":[{\"port\":81}]}}");
        allocator.allocate("default/require", update);
        assertEquals(sixFirst, texts(update, "clusterIPs"));
        assertEquals("RequireDualStack", update.path("spec").path("ipFamilyPolicy").asText());

        // Requested addresses: each in its family's range, and not another Service's.
        ObjectNode requested = service("{\"spec\":{\"ipFamilyPolicy\":\"RequireDualStack\",\"clusterIP\":\"fd00:10:96::77\","
                                       + "\"clusterIPs\":[\"fd00:10:96::77\",\"10.96.7.7\"],\"ports\":[{\"port\":80}]}}");
        allocator.allocate("default/requested", requested);
        assertEquals(List.of("IPv6", "IPv4"), texts(requested, "ipFamilies"));
        String taken = rejection(allocator, "default/thief", "{\"spec\":{\"ipFamilies\":[\"IPv6\"],\"clusterIP\":\"fd00:10:96:0::77\",\"ports\":[{\"port\":80}]}}");
        assertTrue(taken.contains("spec.clusterIPs: Invalid value: [\"fd00:10:96:0::77\"]: failed to allocate IP fd00:10:96:0::77: provided IP is already allocated"), taken);
        String outside = rejection(allocator, "default/outside", "{\"spec\":{\"clusterIP\":\"fd00:10:97::1\",\"ports\":[{\"port\":80}]}}");
        assertTrue(outside.contains("is not in the valid range. The range of valid IPs is fd00:10:96::/112"), outside);
    }

    @Test
    void rejectsFamilyCombinationsAsTheApiServerDoes() throws Exception {
        ServiceAllocator allocator = new ServiceAllocator(V4, V6);
        assertEquals("Service \"both\" is invalid: spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be 'RequireDualStack' or "
                     + "'PreferDualStack' when multiple IP families are specified",
                rejection(allocator, "default/both", "{\"spec\":{\"ipFamilies\":[\"IPv4\",\"IPv6\"],\"ports\":[{\"port\":80}]}}"));
        assertEquals("Service \"dup\" is invalid: spec.ipFamilies[1]: Duplicate value: \"IPv4\"",
                rejection(allocator, "default/dup", "{\"spec\":{\"ipFamilyPolicy\":\"PreferDualStack\",\"ipFamilies\":[\"IPv4\",\"IPv4\"],\"ports\":[{\"port\":80}]}}"));
        assertEquals("Service \"odd\" is invalid: spec.ipFamilyPolicy: Unsupported value: \"DualStack\": supported values: "
                     + "\"PreferDualStack\", \"RequireDualStack\", \"SingleStack\"",
                rejection(allocator, "default/odd", "{\"spec\":{\"ipFamilyPolicy\":\"DualStack\",\"ports\":[{\"port\":80}]}}"));
        assertEquals("Service \"cross\" is invalid: spec.clusterIPs[0]: Invalid value: \"10.96.0.9\": expected an IPv6 value as indicated by `ipFamilies[0]`",
                rejection(allocator, "default/cross", "{\"spec\":{\"ipFamilies\":[\"IPv6\"],\"clusterIP\":\"10.96.0.9\",\"ports\":[{\"port\":80}]}}"));
        assertEquals("Service \"two4\" is invalid: spec.clusterIPs: Invalid value: [\"10.96.0.9\",\"10.96.0.10\"]: may specify no more than one IP for each IP family",
                rejection(allocator, "default/two4", "{\"spec\":{\"ipFamilyPolicy\":\"RequireDualStack\",\"clusterIP\":\"10.96.0.9\","
                                                     + "\"clusterIPs\":[\"10.96.0.9\",\"10.96.0.10\"],\"ports\":[{\"port\":80}]}}"));
        // Nothing was taken by the rejected requests.
        allocator.allocate("default/free", service("{\"spec\":{\"clusterIP\":\"10.96.0.9\",\"ports\":[{\"port\":80}]}}"));

        ServiceAllocator ipv4Only = new ServiceAllocator(V4);
        assertEquals("Service \"req\" is invalid: spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services",
                rejection(ipv4Only, "default/req", "{\"spec\":{\"ipFamilyPolicy\":\"RequireDualStack\",\"ports\":[{\"port\":80}]}}"));
        assertEquals("Service \"six\" is invalid: spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster",
                rejection(ipv4Only, "default/six", "{\"spec\":{\"ipFamilies\":[\"IPv6\"],\"ports\":[{\"port\":80}]}}"));
        ObjectNode prefer = service("{\"spec\":{\"ipFamilyPolicy\":\"PreferDualStack\",\"ports\":[{\"port\":80}]}}");
        ipv4Only.allocate("default/prefer", prefer);
        assertEquals(List.of("IPv4"), texts(prefer, "ipFamilies"), "PreferDualStack on a single-stack cluster stays single");
    }

    @Test
    void headlessServicesGetFamiliesButNoAddresses() throws Exception {
        ServiceAllocator allocator = new ServiceAllocator(V4, V6);
        ObjectNode selectorless = service("{\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":80}]}}");
        allocator.allocate("default/selectorless", selectorless);
        assertEquals("RequireDualStack", selectorless.path("spec").path("ipFamilyPolicy").asText());
        assertEquals(List.of("IPv4", "IPv6"), texts(selectorless, "ipFamilies"));
        assertEquals(List.of("None"), texts(selectorless, "clusterIPs"));
        ObjectNode selecting = service("{\"spec\":{\"clusterIP\":\"None\",\"selector\":{\"app\":\"db\"},\"ports\":[{\"port\":80}]}}");
        allocator.allocate("default/selecting", selecting);
        assertEquals(List.of("IPv4"), texts(selecting, "ipFamilies"));
        assertEquals("None", selecting.path("spec").path("clusterIP").asText());
    }

    @Test
    void canonicalAddressesAreWrittenAsTheApiPrintsThem() {
        assertEquals("fd00:10:96::a", ServiceIpRange.canonical("fd00:10:96:0:0:0:0:a"));
        assertEquals("2001:db8::1:0:0:1", ServiceIpRange.canonical("2001:db8:0:0:1:0:0:1"));
        assertEquals("::", ServiceIpRange.canonical("0:0:0:0:0:0:0:0"));
        assertEquals("fd00::", ServiceIpRange.canonical("fd00:0:0:0:0:0:0:0"));
        assertEquals("2001:db8:0:1:1:1:1:1", ServiceIpRange.canonical("2001:db8:0:1:1:1:1:1"));
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
