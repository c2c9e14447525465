package dev.jute.dataplane;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Point-to-point pod wiring (DESIGN.md §3): one veth pair per pod interface, no bridge, so every
 * packet from or to the pod crosses the host end, where the BPF programs sit.
 *
 * <pre>
 *  pod netns                               host netns (the caller's)
 *  eth0  10.0.0.5/32, fd00::5/128  ══veth══  juteXXXXXXXXXXX  mac ee:ee:ee:ee:ee:ee, fe80::ecee:eeff:feee:eeee/64
 *    169.254.1.1 dev eth0 scope link          10.0.0.5/32 dev juteXXX scope link proto jute
 *    default via 169.254.1.1 dev eth0         fd00::5/128 dev juteXXX proto jute
 *    default via fe80::ecee:eeff:feee:eeee    forwarding=1 on juteXXX (per family)
 *    neigh 169.254.1.1, fe80::ecee:eeff:feee:eeee lladdr ee:ee:ee:ee:ee:ee PERMANENT
 * </pre>
 *
 * The host end has the same fixed MAC on every pod (as Calico does), so the pod's gateway
 * neighbour entries are static and never need ARP/NDP; {@code fe80::ecee:eeff:feee:eeee} is the
 * EUI-64 link-local address of that MAC, which wiring puts on the host end itself (see
 * {@link #hostGatewayAddress}), so the pods' IPv6 gateway is the host end's real address.
 *
 * <p>The host namespace is the namespace of the calling thread: run the operations on a thread that
 * is in the node's namespace (the agent's own threads, or a platform thread inside
 * {@link NetNamespace#call}). Each operation opens one netlink socket per namespace and closes it
 * before returning; no thread is left in another namespace.
 *
 * <p>Forwarding: per-interface {@code net.ipv4.conf.<host>.forwarding} is what the kernel checks on
 * ingress for IPv4, so pod-to-anything routing needs nothing else. IPv6 forwarding is gated by
 * {@code net.ipv6.conf.all.forwarding} unless the ingress interface has {@code force_forwarding}
 * (Linux 6.17+), which wiring sets when the kernel has it; on older kernels the node's agent must
 * enable {@code net.ipv6.conf.all.forwarding} in the node namespace. Wiring never touches
 * {@code all}/{@code default} keys.
 */
public final class PtpPodWiring {

    /** MAC of every host-side veth end. */
    public static final MacAddress HOST_MAC = MacAddress.parse("ee:ee:ee:ee:ee:ee");
    /** The pods' IPv4 gateway: a link-local address nobody owns, answered by the static neighbour entry. */
    public static final InetAddress IPV4_GATEWAY = literal("169.254.1.1");
    /** The pods' IPv6 gateway: the EUI-64 link-local address of {@link #HOST_MAC}. */
    public static final InetAddress IPV6_GATEWAY = literal("fe80::ecee:eeff:feee:eeee");

    private static final String HOST_NAME_PREFIX = "jute";
    private static final int HOST_NAME_HASH_CHARS = InterfaceNames.MAX_LENGTH - HOST_NAME_PREFIX.length();

    /**
     * The host interface name for a pod interface: {@code "jute"} + the first 11 hex digits of
     * SHA-256({@code containerId + "/" + ifname}); 15 characters, the most IFNAMSIZ allows.
     * Deterministic, so DEL and CHECK find the interface from the CNI arguments alone.
     */
    public static String hostInterfaceName(String containerId, String ifname) {
        if (containerId == null || containerId.isEmpty() || ifname == null || ifname.isEmpty()) {
            throw new IllegalArgumentException("container id and interface name must not be empty");
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((containerId + "/" + ifname).getBytes(StandardCharsets.UTF_8));
            return HOST_NAME_PREFIX + HexFormat.of().formatHex(digest).substring(0, HOST_NAME_HASH_CHARS);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    /**
     * Creates and configures the pod's veth pair. On any failure after the pair exists, deletes it
     * again (which also removes its pod end, addresses and routes) and rethrows.
     *
     * @throws PodWiringException if an interface name is already taken or the namespace is missing
     * @throws NetlinkException   if the kernel refuses a step
     */
    public PodLink wire(PodWiringSpec spec) {
        NetNamespace pod = openPodNamespace(spec);
        try (pod;
             NetlinkSocket hostSocket = NetlinkSocket.open();
             NetlinkSocket podSocket = NetlinkSocket.openIn(pod)) {
            RouteNetlink host = new RouteNetlink(hostSocket);
            RouteNetlink inPod = new RouteNetlink(podSocket);
            refuseTakenNames(spec, host, inPod);
            try {
                host.createVethPair(spec.hostInterfaceName(), spec.podInterfaceName(), pod, spec.mtu(), HOST_MAC);
            } catch (NetlinkException e) {
                if (e.is(Errno.EEXIST)) {
                    // Lost a race against someone creating the same name; say which one.
                    refuseTakenNames(spec, host, inPod);
                }
                throw e;
            }
            try {
                Link podLink = inPod.requireLink(spec.podInterfaceName());
                configurePodSide(inPod, podLink, spec);
                Link hostLink = configureHostSide(host, spec);
                return new PodLink(hostLink.name(), hostLink.index(), hostLink.mac(),
                        podLink.name(), podLink.index(), podLink.mac(), spec.podNetns());
            } catch (RuntimeException | Error failure) {
                try {
                    host.deleteLinkIfExists(spec.hostInterfaceName());
                } catch (RuntimeException rollbackFailure) {
                    failure.addSuppressed(rollbackFailure);
                }
                throw failure;
            }
        }
    }

    private static NetNamespace openPodNamespace(PodWiringSpec spec) {
        try {
            return NetNamespace.open(spec.podNetns());
        } catch (ErrnoException | IllegalArgumentException e) {
            throw new PodWiringException("cannot open pod network namespace " + spec.podNetns() + ": " + e.getMessage(), e);
        }
    }

    private static void refuseTakenNames(PodWiringSpec spec, RouteNetlink host, RouteNetlink inPod) {
        if (inPod.link(spec.podInterfaceName()).isPresent()) {
            throw new PodWiringException("interface " + spec.podInterfaceName() + " already exists in pod network namespace "
                                         + spec.podNetns());
        }
        if (host.link(spec.hostInterfaceName()).isPresent()) {
            throw new PodWiringException("host interface " + spec.hostInterfaceName() + " already exists");
        }
    }

    private static void configurePodSide(RouteNetlink inPod, Link podLink, PodWiringSpec spec) {
        Link loopback = inPod.requireLink("lo");
        if (!loopback.up()) {
            inPod.setLinkUp(loopback.index());
        }
        int index = podLink.index();
        inPod.setLinkUp(index);
        for (InetAddress address : spec.podAddresses()) {
            inPod.addAddress(index, address, hostPrefixLength(address));
        }
        if (spec.hasIpv4()) {
            inPod.addPermanentNeighbour(index, IPV4_GATEWAY, HOST_MAC);
            inPod.addRoute(Route.to(IPV4_GATEWAY, 32).device(index)
                    .withScope(RouteScope.LINK).withProtocol(RouteProtocol.JUTE));
            inPod.addRoute(Route.defaultRoute(LibC.AF_INET).via(IPV4_GATEWAY).device(index)
                    .withProtocol(RouteProtocol.JUTE));
        }
        if (spec.hasIpv6()) {
            inPod.addPermanentNeighbour(index, IPV6_GATEWAY, HOST_MAC);
            inPod.addRoute(Route.defaultRoute(LibC.AF_INET6).via(IPV6_GATEWAY).device(index)
                    .withProtocol(RouteProtocol.JUTE));
        }
    }

    private static Link configureHostSide(RouteNetlink host, PodWiringSpec spec) {
        String name = spec.hostInterfaceName();
        // Sysctls first: IPv6 acts on them when the link comes up.
        if (spec.hasIpv4()) {
            Sysctl.setIpv4Forwarding(name, true);
        }
        if (spec.hasIpv6()) {
            Sysctl.setIpv6Forwarding(name, true);
            var forceForwarding = Sysctl.interfaceKey("ipv6", name, "force_forwarding");
            if (Sysctl.exists(forceForwarding)) {
                Sysctl.write(forceForwarding, "1");
            }
        }
        Link link = host.requireLink(name);
        if (spec.hasIpv6()) {
            host.addAddress(hostGatewayAddress(link.index()));
        }
        host.setLinkUp(link.index());
        for (InetAddress address : spec.podAddresses()) {
            // Replace: a route to this pod address left by anyone else must not keep traffic away from the pod.
            host.replaceRoute(Route.to(address, hostPrefixLength(address)).device(link.index())
                    .withScope(RouteScope.LINK).withProtocol(RouteProtocol.JUTE));
        }
        return link;
    }

    /**
     * Deletes the host end of a pod's veth pair (the kernel removes the pod end, its addresses and
     * the host routes with it). Idempotent: returns false when there was nothing to delete.
     */
    public boolean unwire(String hostInterfaceName) {
        InterfaceNames.requireValid(hostInterfaceName);
        try (NetlinkSocket hostSocket = NetlinkSocket.open()) {
            return new RouteNetlink(hostSocket).deleteLinkIfExists(hostInterfaceName);
        }
    }

    /**
     * The host ends of pod veths in the current namespace, recognised by their name ({@code jute} + 11
     * hex digits) and kind; the agent's reconcile removes those that no allocation explains.
     */
    public List<String> hostInterfaces() {
        List<String> names = new ArrayList<>();
        try (NetlinkSocket hostSocket = NetlinkSocket.open()) {
            for (Link link : new RouteNetlink(hostSocket).links()) {
                if (isHostInterfaceName(link.name()) && "veth".equals(link.kind())) {
                    names.add(link.name());
                }
            }
        }
        return names;
    }

    static boolean isHostInterfaceName(String name) {
        if (name.length() != HOST_NAME_PREFIX.length() + HOST_NAME_HASH_CHARS || !name.startsWith(HOST_NAME_PREFIX)) {
            return false;
        }
        for (int i = HOST_NAME_PREFIX.length(); i < name.length(); i++) {
            if (Character.digit(name.charAt(i), 16) < 0 || Character.isUpperCase(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Verifies that the wiring of {@code spec} is in place and returns what is wrong, one
     * human-readable sentence per problem; an empty list means all is well.
     */
    public List<String> check(PodWiringSpec spec) {
        List<String> problems = new ArrayList<>();
        try (NetlinkSocket hostSocket = NetlinkSocket.open()) {
            checkHostSide(new RouteNetlink(hostSocket), spec, problems);
        }
        if (!NetNamespace.exists(spec.podNetns())) {
            problems.add("pod network namespace " + spec.podNetns() + " does not exist");
            return problems;
        }
        try (NetNamespace pod = NetNamespace.open(spec.podNetns());
             NetlinkSocket podSocket = NetlinkSocket.openIn(pod)) {
            checkPodSide(new RouteNetlink(podSocket), spec, problems);
        }
        return problems;
    }

    private static void checkHostSide(RouteNetlink host, PodWiringSpec spec, List<String> problems) {
        String name = spec.hostInterfaceName();
        var hostLink = host.link(name);
        if (hostLink.isEmpty()) {
            problems.add("host interface " + name + " is missing");
            return;
        }
        int index = hostLink.get().index();
        if (!hostLink.get().up()) {
            problems.add("host interface " + name + " is down");
        }
        List<Route> routes = host.routes(LibC.AF_UNSPEC);
        for (InetAddress address : spec.podAddresses()) {
            if (!hasRoute(routes, address, hostPrefixLength(address), null, index)) {
                problems.add("host route " + AddressText.of(address) + "/" + hostPrefixLength(address)
                             + " dev " + name + " is missing");
            }
        }
        if (spec.hasIpv4() && !Sysctl.ipv4Forwarding(name)) {
            problems.add("IPv4 forwarding is disabled on host interface " + name);
        }
        if (spec.hasIpv6() && !Sysctl.ipv6Forwarding(name)) {
            problems.add("IPv6 forwarding is disabled on host interface " + name);
        }
        if (spec.hasIpv6() && host.addresses(LibC.AF_INET6, index).stream().noneMatch(a -> a.address().equals(IPV6_GATEWAY))) {
            problems.add("gateway address " + AddressText.of(IPV6_GATEWAY) + " is missing on host interface " + name);
        }
    }

    private static void checkPodSide(RouteNetlink inPod, PodWiringSpec spec, List<String> problems) {
        String name = spec.podInterfaceName();
        var podLink = inPod.link(name);
        if (podLink.isEmpty()) {
            problems.add("pod interface " + name + " is missing in " + spec.podNetns());
            return;
        }
        int index = podLink.get().index();
        if (!podLink.get().up()) {
            problems.add("pod interface " + name + " is down");
        }
        List<Address> addresses = inPod.addresses(LibC.AF_UNSPEC, index);
        for (InetAddress address : spec.podAddresses()) {
            boolean present = addresses.stream().anyMatch(a -> a.address().equals(address)
                                                               && a.prefixLength() == hostPrefixLength(address));
            if (!present) {
                problems.add("address " + AddressText.of(address) + "/" + hostPrefixLength(address)
                             + " is missing on pod interface " + name);
            }
        }
        List<Route> routes = inPod.routes(LibC.AF_UNSPEC);
        List<Neighbour> neighbours = inPod.neighbours(LibC.AF_UNSPEC);
        if (spec.hasIpv4()) {
            if (!hasRoute(routes, IPV4_GATEWAY, 32, null, index)) {
                problems.add("pod route 169.254.1.1 dev " + name + " is missing");
            }
            checkDefaultRoute(routes, neighbours, Route.defaultRoute(LibC.AF_INET), IPV4_GATEWAY, index, name, problems);
        }
        if (spec.hasIpv6()) {
            checkDefaultRoute(routes, neighbours, Route.defaultRoute(LibC.AF_INET6), IPV6_GATEWAY, index, name, problems);
        }
    }

    private static void checkDefaultRoute(List<Route> routes, List<Neighbour> neighbours, Route defaultRoute,
                                          InetAddress gateway, int index, String name, List<String> problems) {
        if (!hasRoute(routes, defaultRoute.destination(), 0, gateway, index)) {
            problems.add("pod default route via " + AddressText.of(gateway) + " dev " + name + " is missing");
        }
        boolean neighbourPresent = neighbours.stream().anyMatch(n -> n.interfaceIndex() == index
                                                                     && n.address().equals(gateway)
                                                                     && n.isPermanent()
                                                                     && HOST_MAC.equals(n.mac()));
        if (!neighbourPresent) {
            problems.add("pod neighbour entry " + AddressText.of(gateway) + " lladdr " + HOST_MAC + " dev " + name
                         + " is missing");
        }
    }

    /** Main-table route to exactly {@code destination/prefixLength} through {@code interfaceIndex} (and {@code gateway}, if given). */
    private static boolean hasRoute(List<Route> routes, InetAddress destination, int prefixLength, InetAddress gateway,
                                    int interfaceIndex) {
        return routes.stream().anyMatch(r -> r.table() == RouteTable.MAIN
                                             && r.destination().equals(destination)
                                             && r.prefixLength() == prefixLength
                                             && r.outputInterface() == interfaceIndex
                                             && (gateway == null || gateway.equals(r.gateway())));
    }

    /**
     * The IPv6 gateway address, put on the host end explicitly (before it comes up, without DAD).
     * The kernel would derive the same EUI-64 address itself, but only once the link is
     * operationally up, which the kernel's linkwatch reports up to a second later, then after DAD;
     * until then the host has no usable link-local source for the neighbour solicitations that
     * reach the pod, and the first packets to the pod are lost. Explicit, it also survives
     * {@code addr_gen_mode} settings other than EUI-64.
     */
    private static Address hostGatewayAddress(int hostIndex) {
        return new Address(hostIndex, IPV6_GATEWAY, 64, RouteScope.LINK, Address.NODAD);
    }

    private static int hostPrefixLength(InetAddress address) {
        return address instanceof Inet6Address ? 128 : 32;
    }

    private static InetAddress literal(String text) {
        try {
            return InetAddress.getByName(text); // a literal: no name resolution happens
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
