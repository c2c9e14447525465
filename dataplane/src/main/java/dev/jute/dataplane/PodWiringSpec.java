package dev.jute.dataplane;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * What {@link PtpPodWiring} needs to wire one pod interface.
 *
 * @param podNetns          the pod's network namespace file ({@code CNI_NETNS})
 * @param hostInterfaceName name of the host end of the veth, e.g. from {@link PtpPodWiring#hostInterfaceName}
 * @param podInterfaceName  name of the pod end ({@code CNI_IFNAME}, usually {@code eth0})
 * @param mtu               MTU of both ends
 * @param podAddresses      the pod's addresses (IPv4 and/or IPv6), installed as /32 and /128
 */
public record PodWiringSpec(Path podNetns, String hostInterfaceName, String podInterfaceName, int mtu,
                            List<InetAddress> podAddresses) {

    /** The minimum MTU of IPv6 (RFC 8200); IPv4 alone accepts 68. */
    private static final int IPV6_MIN_MTU = 1280;

    public PodWiringSpec {
        Objects.requireNonNull(podNetns, "podNetns");
        InterfaceNames.requireValid(hostInterfaceName);
        InterfaceNames.requireValid(podInterfaceName);
        podAddresses = List.copyOf(Objects.requireNonNull(podAddresses, "podAddresses"));
        if (podAddresses.isEmpty()) {
            throw new IllegalArgumentException("a pod needs at least one address");
        }
        if (new HashSet<>(podAddresses).size() != podAddresses.size()) {
            throw new IllegalArgumentException("duplicate pod address in " + podAddresses);
        }
        for (InetAddress address : podAddresses) {
            if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isMulticastAddress()
                || address.isLinkLocalAddress()) {
                throw new IllegalArgumentException("not a usable pod address: " + AddressText.of(address));
            }
        }
        int minimumMtu = podAddresses.stream().anyMatch(a -> a instanceof Inet6Address) ? IPV6_MIN_MTU : 68;
        if (mtu < minimumMtu || mtu > 65535) {
            throw new IllegalArgumentException("MTU " + mtu + " is out of range " + minimumMtu + "..65535");
        }
    }

    public boolean hasIpv4() {
        return podAddresses.stream().anyMatch(a -> !(a instanceof Inet6Address));
    }

    public boolean hasIpv6() {
        return podAddresses.stream().anyMatch(a -> a instanceof Inet6Address);
    }
}
