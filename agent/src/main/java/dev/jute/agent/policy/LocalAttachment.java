package dev.jute.agent.policy;

import dev.jute.agent.PodAttachment;
import dev.jute.policy.ObjectRef;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A pod interface on this node, as policy needs it: the host-side veth the programs sit on, the pod
 * it belongs to when the runtime said so (CNI_ARGS), and its addresses.
 */
public record LocalAttachment(String containerId, String ifname, String hostInterface, int hostIfindex,
                              Optional<ObjectRef> pod, List<InetAddress> addresses) {

    public LocalAttachment {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(ifname, "ifname");
        Objects.requireNonNull(hostInterface, "hostInterface");
        Objects.requireNonNull(pod, "pod");
        addresses = List.copyOf(addresses);
        if (hostIfindex <= 0) {
            throw new IllegalArgumentException("bad interface index " + hostIfindex + " of " + hostInterface);
        }
    }

    public static LocalAttachment of(PodAttachment attachment) {
        return new LocalAttachment(attachment.containerId(), attachment.ifname(), attachment.link().hostInterfaceName(),
                attachment.link().hostInterfaceIndex(),
                attachment.pod().map(p -> new ObjectRef(p.namespace(), p.name())), attachment.addresses());
    }

    Key key() {
        return new Key(containerId, ifname);
    }

    /** CNI's identity of an attachment. */
    record Key(String containerId, String ifname) {
    }
}
