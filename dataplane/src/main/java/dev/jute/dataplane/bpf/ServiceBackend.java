package dev.jute.dataplane.bpf;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A backend of a service frontend (a {@code backends} map value): a ready endpoint's pod address
 * and target port.
 *
 * @param nodeLocal whether the pod runs on this node (eligible under a Local traffic policy)
 */
public record ServiceBackend(InetAddress address, int port, boolean nodeLocal) {

    public ServiceBackend {
        Objects.requireNonNull(address, "address");
        if (address instanceof Inet6Address v6 && v6.getScopeId() != 0) {
            throw new IllegalArgumentException("a backend address has no scope: " + address.getHostAddress());
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("backend port " + port + " is outside 1-65535");
        }
    }

    @Override
    public String toString() {
        String host = address instanceof Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
        return host + ":" + port + (nodeLocal ? " (local)" : "");
    }
}
