package dev.jute.agent;

import dev.jute.dataplane.PodLink;
import dev.jute.ipam.PodRef;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * A pod interface Jute has just wired: who it belongs to, both ends of its veth, and its addresses.
 *
 * @param pod the pod, when the runtime passed K8S_POD_NAMESPACE / K8S_POD_NAME in CNI_ARGS
 */
public record PodAttachment(String containerId, String ifname, Optional<PodRef> pod, PodLink link,
                            List<InetAddress> addresses) {
}
