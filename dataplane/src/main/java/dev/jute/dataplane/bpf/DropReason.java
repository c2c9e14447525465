package dev.jute.dataplane.bpf;

/** Why the programs dropped a packet ({@code DROP_*} in {@code lib/common.h}). */
public enum DropReason {
    /** The endpoint is isolated in this direction and no allow entry matches. */
    POLICY_DENIED(1),
    /** The host interface has no endpoint entry (fail closed); the counter's endpoint field holds the ifindex. */
    UNKNOWN_ENDPOINT(2),
    /**
     * The pod sent from a source address that is not its own; or a packet towards a pod or in from
     * the uplink claims the hairpin service loopback address (169.254.42.1, fd6a:7574:6500::1) as
     * its source, which only the programs' own hairpin packets may carry and those never pass there.
     */
    SOURCE_SPOOFED(3),
    /** A truncated or unparseable IP or transport header. */
    MALFORMED(4),
    /** A non-first fragment of a datagram whose first fragment was not admitted here. */
    FRAGMENT_UNTRACKED(5),
    /** An 802.1Q / 802.1ad tagged frame on a pod link. */
    VLAN_TAGGED(6),
    /**
     * A new connection to a service frontend with no eligible backend, whose service does not ask
     * for a reject (e.g. externalTrafficPolicy Local on a node without local backends).
     */
    SERVICE_NO_BACKEND(7),
    /** Service NAT could not complete: no free SNAT port, or the packet could not be rewritten. */
    SERVICE_NAT_FAILED(8),
    /**
     * A TCP segment of an established service connection whose backend left the service: the
     * client was answered with a RST instead (a RST from the client is only counted).
     */
    SERVICE_BACKEND_RETIRED(9);

    private final int code;

    DropReason(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static DropReason ofCode(int code) {
        for (DropReason reason : values()) {
            if (reason.code == code) {
                return reason;
            }
        }
        throw new IllegalArgumentException("unknown drop reason " + code);
    }
}
