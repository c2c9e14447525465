package dev.jute.inbox.cluster;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;

import java.net.InetAddress;
import java.util.List;

/**
 * The ClusterIP Service in front of one model pod (upstream's {@code s-<namespace>-<pod>}, selecting
 * only that pod): where a {@code viaService} probe connects instead of the pod's own address.
 *
 * @param name      the Service's name
 * @param clusterIp the address the in-box API allocated
 * @param ports     the Service's ports as stored (protocol and targetPort defaulted)
 */
record PodService(String name, InetAddress clusterIp, List<ServicePort> ports) {

    PodService {
        ports = List.copyOf(ports);
    }

    /** As the API returned it on create. */
    static PodService of(Service created) {
        String clusterIp = created.getSpec().getClusterIP();
        if (clusterIp == null || clusterIp.isEmpty() || clusterIp.equals("None")) {
            throw new IllegalStateException("Service " + created.getMetadata().getName() + " got no ClusterIP: " + clusterIp);
        }
        return new PodService(created.getMetadata().getName(), InetAddress.ofLiteral(clusterIp), created.getSpec().getPorts());
    }

    /**
     * The Service port that forwards to the pod's {@code targetPort}/{@code protocol} (the probe names
     * the port the pod serves; in the upstream model port and targetPort are equal). A named
     * targetPort is taken to be the Service port's number, as the upstream model names them.
     */
    int portFor(int targetPort, String protocol) {
        for (ServicePort port : ports) {
            boolean sameProtocol = protocol.equals(port.getProtocol() == null ? "TCP" : port.getProtocol());
            Integer target = port.getTargetPort() == null || port.getTargetPort().getIntVal() == null
                    ? port.getPort() : port.getTargetPort().getIntVal();
            if (sameProtocol && target != null && target == targetPort) {
                return port.getPort();
            }
        }
        throw new IllegalStateException("Service " + name + " has no port forwarding to " + targetPort + "/" + protocol);
    }
}
