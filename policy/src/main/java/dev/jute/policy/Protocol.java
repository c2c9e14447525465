package dev.jute.policy;

import java.util.Locale;
import java.util.Optional;

/** The transport protocols a NetworkPolicy port may name. */
public enum Protocol {
    TCP(6),
    UDP(17),
    SCTP(132);

    private final int ipProtocolNumber;

    Protocol(int ipProtocolNumber) {
        this.ipProtocolNumber = ipProtocolNumber;
    }

    /** The IANA protocol number carried in the IP header (what the dataplane compares). */
    public int ipProtocolNumber() {
        return ipProtocolNumber;
    }

    /**
     * Parses the API spelling. The API is case-sensitive ("tcp" is rejected by the API server),
     * so this is too; use {@link #parseIgnoringCase} for human input such as a CLI argument.
     */
    public static Optional<Protocol> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        for (Protocol protocol : values()) {
            if (protocol.name().equals(text)) {
                return Optional.of(protocol);
            }
        }
        return Optional.empty();
    }

    public static Optional<Protocol> parseIgnoringCase(String text) {
        return text == null ? Optional.empty() : parse(text.toUpperCase(Locale.ROOT));
    }
}
