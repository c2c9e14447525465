package dev.jute.policy;

/**
 * The protocol field of a compiled allow entry: one transport protocol, or every IP protocol (a
 * rule without {@code ports} allows ICMP and everything else too). Carries the number the dataplane
 * compares with the IP header; {@link #ANY} is 0, which is no real transport protocol.
 */
public enum ProtocolMatch {
    ANY(0), TCP(6), UDP(17), SCTP(132);

    private final int ipProtocolNumber;

    ProtocolMatch(int ipProtocolNumber) {
        this.ipProtocolNumber = ipProtocolNumber;
    }

    public int ipProtocolNumber() {
        return ipProtocolNumber;
    }

    public static ProtocolMatch of(Protocol protocol) {
        return switch (protocol) {
            case TCP -> TCP;
            case UDP -> UDP;
            case SCTP -> SCTP;
        };
    }

    public boolean matches(Protocol protocol) {
        return this == ANY || this == of(protocol);
    }
}
