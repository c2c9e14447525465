package dev.jute.agent.policy;

import dev.jute.dataplane.Link;
import dev.jute.dataplane.PtpPodWiring;
import dev.jute.dataplane.RouteNetlink;
import dev.jute.ipam.Allocation;
import dev.jute.ipam.AllocationKey;
import dev.jute.ipam.Ipam;
import dev.jute.policy.ObjectRef;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The pod interfaces that exist when the agent starts, from the IPAM records and the links they name. */
final class LocalAttachments {

    private LocalAttachments() {
    }

    /** Call after {@code PodNetworks.reconcile()}, so only live attachments remain. */
    static List<LocalAttachment> fromIpam(Ipam ipam, RouteNetlink netlink) {
        Map<AllocationKey, List<Allocation>> byKey = new LinkedHashMap<>();
        for (Allocation allocation : ipam.allocations()) {
            byKey.computeIfAbsent(allocation.key(), k -> new ArrayList<>()).add(allocation);
        }
        List<LocalAttachment> attachments = new ArrayList<>();
        byKey.forEach((key, allocations) -> {
            String hostInterface = PtpPodWiring.hostInterfaceName(key.containerId(), key.ifname());
            Optional<Link> link = netlink.link(hostInterface);
            if (link.isEmpty()) {
                return;
            }
            Optional<ObjectRef> pod = allocations.stream().map(Allocation::pod).flatMap(Optional::stream).findFirst()
                    .map(p -> new ObjectRef(p.namespace(), p.name()));
            List<InetAddress> addresses = allocations.stream().map(Allocation::address).toList();
            attachments.add(new LocalAttachment(key.containerId(), key.ifname(), hostInterface, link.get().index(), pod,
                    addresses));
        });
        return attachments;
    }
}
