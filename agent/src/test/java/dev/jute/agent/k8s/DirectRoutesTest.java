package dev.jute.agent.k8s;

import dev.jute.dataplane.Route;
import dev.jute.dataplane.RouteProtocol;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectRoutesTest {

    private static Node node(String name, List<String> ips, List<String> cidrs) {
        NodeBuilder builder = new NodeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withPodCIDRs(cidrs).endSpec().withNewStatus().endStatus();
        for (String ip : ips) {
            builder.editStatus().addNewAddress().withType("InternalIP").withAddress(ip).endAddress().endStatus();
        }
        builder.editStatus().addNewAddress().withType("Hostname").withAddress(name).endAddress().endStatus();
        return builder.build();
    }

    private static DirectRoutes.Key key(String cidr, String via) {
        String[] parts = cidr.split("/");
        return new DirectRoutes.Key(InetAddress.ofLiteral(parts[0]), Integer.parseInt(parts[1]), InetAddress.ofLiteral(via));
    }

    @Test
    void routesEveryOtherNodesCidrsViaItsInternalIpOfTheSameFamily() {
        var plan = DirectRoutes.plan("n1", List.of(
                NodeInfo.of(node("n1", List.of("172.18.0.2", "fc00::2"), List.of("10.244.1.0/24", "fd00:10:244:1::/64"))),
                NodeInfo.of(node("n2", List.of("172.18.0.3", "fc00::3"), List.of("10.244.2.0/24", "fd00:10:244:2::/64"))),
                NodeInfo.of(node("n3", List.of("172.18.0.4"), List.of("10.244.3.0/24", "fd00:10:244:3::/64")))));
        assertEquals(List.of(key("10.244.2.0/24", "172.18.0.3"), key("10.244.3.0/24", "172.18.0.4"),
                key("fd00:10:244:2::/64", "fc00::3")), plan.routes());
        assertEquals(1, plan.problems().size(), plan.problems().toString());
        assertTrue(plan.problems().getFirst().contains("n3 has no InternalIP of the family"));
    }

    @Test
    void badNodesAreReportedAndSkippedNotFatal() {
        var plan = DirectRoutes.plan("n1", List.of(
                NodeInfo.of(node("n1", List.of("172.18.0.2"), List.of("10.244.1.0/24"))),
                NodeInfo.of(node("bad-cidr", List.of("172.18.0.5"), List.of("10.244.5.1/24"))),
                NodeInfo.of(node("bad-ip", List.of("not-an-ip"), List.of("10.244.6.0/24"))),
                NodeInfo.of(node("overlaps-me", List.of("172.18.0.7"), List.of("10.244.1.0/25"))),
                NodeInfo.of(node("a-dup", List.of("172.18.0.8"), List.of("10.244.8.0/24"))),
                NodeInfo.of(node("b-dup", List.of("172.18.0.9"), List.of("10.244.8.0/24"))),
                NodeInfo.of(node("no-cidr", List.of("172.18.0.10"), List.of()))));
        // The duplicate goes to the node first in name order, whatever order events came in.
        assertEquals(List.of(key("10.244.8.0/24", "172.18.0.8")), plan.routes());
        String problems = String.join("\n", plan.problems());
        assertTrue(problems.contains("bad-cidr has an invalid pod CIDR"), problems);
        assertTrue(problems.contains("bad-ip: InternalIP not-an-ip"), problems);
        assertTrue(problems.contains("overlaps-me claims pod CIDR 10.244.1.0/25"), problems);
        assertTrue(problems.contains("10.244.8.0/24 of node b-dup is also claimed"), problems);
    }

    @Test
    void ownershipIsJuteProtocolWithANextHopOnly() {
        Route ours = key("10.244.2.0/24", "172.18.0.3").toRoute();
        assertEquals(RouteProtocol.JUTE, ours.protocol());
        assertTrue(DirectRoutes.isOurs(ours));
        assertFalse(DirectRoutes.isOurs(ours.withProtocol(RouteProtocol.BOOT)), "someone else's route");
        Route podHostRoute = Route.to(InetAddress.ofLiteral("10.244.1.5"), 32).device(7).withProtocol(RouteProtocol.JUTE);
        assertFalse(DirectRoutes.isOurs(podHostRoute), "a pod's host route is not a node route");
        assertFalse(DirectRoutes.isOurs(ours.withTable(100)), "other tables are not ours");
    }
}
