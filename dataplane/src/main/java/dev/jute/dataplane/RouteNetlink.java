package dev.jute.dataplane;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static dev.jute.dataplane.NetlinkConstants.*;

/**
 * rtnetlink operations (links, addresses, routes, neighbours) over one {@link NetlinkSocket}. Every
 * operation acts in the namespace the socket was opened in, whatever thread calls it. The socket is
 * borrowed, not owned: closing it is the caller's business.
 *
 * <p>Failures surface as {@link NetlinkException} with the kernel's errno; the {@code ...IfExists}
 * variants turn "not there" into a {@code false} result for idempotent clean-up.
 */
public final class RouteNetlink {

    private final NetlinkSocket socket;

    public RouteNetlink(NetlinkSocket socket) {
        this.socket = Objects.requireNonNull(socket, "socket");
    }

    // ---- links ----

    /**
     * Creates a veth pair. The peer is created directly in {@code peerNamespace} (or next to
     * {@code name} if it is null). Fails with {@link Errno#EEXIST} if either name is taken in its
     * namespace.
     *
     * @param mac address of {@code name} (the local end), or null for a random one
     */
    public void createVethPair(String name, String peerName, NetNamespace peerNamespace, int mtu, MacAddress mac) {
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("MTU " + mtu + " is out of range 68..65535");
        }
        int peerFd = peerNamespace == null ? -1 : peerNamespace.fd();
        socket.execute(RtnetlinkCodec.newVeth(name, peerName, peerFd, mtu, mac));
    }

    public Optional<Link> link(String name) {
        return findLink(RtnetlinkCodec.getLink(name));
    }

    public Optional<Link> link(int index) {
        if (index <= 0) {
            throw new IllegalArgumentException("interface index must be positive: " + index);
        }
        return findLink(RtnetlinkCodec.getLink(index));
    }

    private Optional<Link> findLink(NetlinkMessageBuilder request) {
        try {
            return socket.query(request).stream()
                    .filter(m -> m.type() == RTM_NEWLINK)
                    .map(RtnetlinkCodec::parseLink)
                    .findFirst();
        } catch (NetlinkException e) {
            if (e.is(Errno.ENODEV)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Like {@link #link(String)}, but a missing link is an error naming it. */
    public Link requireLink(String name) {
        return link(name).orElseThrow(() -> new NetlinkException("link " + name, Errno.ENODEV, null));
    }

    public List<Link> links() {
        return socket.dump(RtnetlinkCodec.dumpLinks()).stream()
                .filter(m -> m.type() == RTM_NEWLINK)
                .map(RtnetlinkCodec::parseLink)
                .toList();
    }

    public void setLinkUp(int index) {
        socket.execute(RtnetlinkCodec.setLinkUp(index, true));
    }

    public void setLinkDown(int index) {
        socket.execute(RtnetlinkCodec.setLinkUp(index, false));
    }

    /** Deletes a link (for a veth: both ends, and every route and address on them). ENODEV if absent. */
    public void deleteLink(String name) {
        socket.execute(RtnetlinkCodec.deleteLink(name));
    }

    /** Deletes a link if it exists; returns whether it did. */
    public boolean deleteLinkIfExists(String name) {
        try {
            deleteLink(name);
            return true;
        } catch (NetlinkException e) {
            if (e.is(Errno.ENODEV)) {
                return false;
            }
            throw e;
        }
    }

    // ---- addresses ----

    /**
     * Adds an address with universe scope. IPv6 addresses get {@link Address#NODAD}: Jute's addresses
     * are unique by construction (IPAM), and duplicate address detection would leave them unusable
     * ("tentative") for about a second.
     */
    public void addAddress(int interfaceIndex, InetAddress address, int prefixLength) {
        int flags = address instanceof Inet6Address ? Address.NODAD : 0;
        addAddress(new Address(interfaceIndex, address, prefixLength, RouteScope.UNIVERSE, flags));
    }

    /** Adds an address exactly as given; {@link Errno#EEXIST} if it is already there. */
    public void addAddress(Address address) {
        socket.execute(RtnetlinkCodec.address(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, address));
    }

    /** Removes an address; {@link Errno#EADDRNOTAVAIL} if it is not there. */
    public void deleteAddress(int interfaceIndex, InetAddress address, int prefixLength) {
        socket.execute(RtnetlinkCodec.address(RTM_DELADDR, 0,
                new Address(interfaceIndex, address, prefixLength, RouteScope.UNIVERSE, 0)));
    }

    /** Addresses of {@code family} ({@link LibC#AF_INET}, {@link LibC#AF_INET6} or {@link LibC#AF_UNSPEC} for both). */
    public List<Address> addresses(int family) {
        return socket.dump(RtnetlinkCodec.dumpAddresses(family)).stream()
                .filter(m -> m.type() == RTM_NEWADDR)
                .map(RtnetlinkCodec::parseAddress)
                .toList();
    }

    public List<Address> addresses(int family, int interfaceIndex) {
        return addresses(family).stream().filter(a -> a.interfaceIndex() == interfaceIndex).toList();
    }

    // ---- routes ----

    /** Adds a route; {@link Errno#EEXIST} if an equal one exists. */
    public void addRoute(Route route) {
        socket.execute(RtnetlinkCodec.route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route));
    }

    /** Adds a route or replaces the one with the same destination, table and metric. */
    public void replaceRoute(Route route) {
        socket.execute(RtnetlinkCodec.route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, route));
    }

    /**
     * Deletes the route with {@code route}'s destination and table that also matches its gateway,
     * interface, priority (when set) and protocol (unless {@link RouteProtocol#UNSPEC}), whatever its
     * scope. {@link Errno#ESRCH} if there is none.
     */
    public void deleteRoute(Route route) {
        socket.execute(RtnetlinkCodec.route(RTM_DELROUTE, 0, route.withScope(RouteScope.NOWHERE)));
    }

    /** Like {@link #deleteRoute(Route)}; returns false instead of failing when there is no such route. */
    public boolean deleteRouteIfExists(Route route) {
        try {
            deleteRoute(route);
            return true;
        } catch (NetlinkException e) {
            if (e.is(Errno.ESRCH) || e.is(Errno.ENOENT)) {
                return false;
            }
            throw e;
        }
    }

    /** Routes of every table of {@code family} ({@link LibC#AF_INET}, {@link LibC#AF_INET6} or {@link LibC#AF_UNSPEC}). */
    public List<Route> routes(int family) {
        return socket.dump(RtnetlinkCodec.dumpRoutes(family)).stream()
                .filter(m -> m.type() == RTM_NEWROUTE)
                .flatMap(m -> RtnetlinkCodec.parseRoute(m).stream())
                .toList();
    }

    // ---- neighbours ----

    /**
     * Adds (or overwrites) a permanent neighbour entry: {@code address} on {@code interfaceIndex} is
     * at {@code mac}, with no ARP/NDP resolution ever.
     */
    public void addPermanentNeighbour(int interfaceIndex, InetAddress address, MacAddress mac) {
        Objects.requireNonNull(mac, "mac");
        socket.execute(RtnetlinkCodec.neighbour(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE,
                new Neighbour(interfaceIndex, address, mac, Neighbour.PERMANENT)));
    }

    public List<Neighbour> neighbours(int family) {
        return socket.dump(RtnetlinkCodec.dumpNeighbours(family)).stream()
                .filter(m -> m.type() == RTM_NEWNEIGH)
                .flatMap(m -> RtnetlinkCodec.parseNeighbour(m).stream())
                .toList();
    }
}
