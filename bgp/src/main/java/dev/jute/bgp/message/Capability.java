package dev.jute.bgp.message;

import java.util.Arrays;
import java.util.List;

/** An OPEN capability (RFC 5492). Capabilities Jute does not use are kept raw and tolerated. */
public sealed interface Capability {
    int CODE_MULTIPROTOCOL = 1;
    int CODE_ROUTE_REFRESH = 2;
    int CODE_GRACEFUL_RESTART = 64;
    int CODE_FOUR_OCTET_AS = 65;

    int code();

    /** Multiprotocol extensions (RFC 4760). */
    record Multiprotocol(int afi, int safi) implements Capability {
        @Override
        public int code() {
            return CODE_MULTIPROTOCOL;
        }
    }

    /** Route refresh (RFC 2918). */
    record RouteRefresh() implements Capability {
        @Override
        public int code() {
            return CODE_ROUTE_REFRESH;
        }
    }

    /** Support for 4-octet AS numbers (RFC 6793), carrying the speaker's real AS. */
    record FourOctetAs(long as) implements Capability {
        @Override
        public int code() {
            return CODE_FOUR_OCTET_AS;
        }
    }

    /**
     * Graceful restart (RFC 4724). {@code flags} are the 4 high bits of the first octet pair
     * (0x8 restarting, 0x4 graceful notification per RFC 8538); restart time is in seconds.
     */
    record GracefulRestart(int flags, int restartTime, List<Family> families) implements Capability {
        public static final int FLAG_RESTARTING = 0x8;
        public static final int FLAG_NOTIFICATION = 0x4;
        public static final int FAMILY_FORWARDING_PRESERVED = 0x80;

        public GracefulRestart {
            families = List.copyOf(families);
        }

        public boolean restarting() {
            return (flags & FLAG_RESTARTING) != 0;
        }

        public record Family(int afi, int safi, int flags) {
            public boolean forwardingPreserved() {
                return (flags & FAMILY_FORWARDING_PRESERVED) != 0;
            }
        }

        @Override
        public int code() {
            return CODE_GRACEFUL_RESTART;
        }
    }

    /** Any other capability (FQDN, extended next hop, ADD-PATH, enhanced route refresh, ...). */
    record Unknown(int code, byte[] value) implements Capability {
        public Unknown {
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Unknown u && u.code == code && Arrays.equals(u.value, value);
        }

        @Override
        public int hashCode() {
            return code * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Capability(" + code + ", " + java.util.HexFormat.of().formatHex(value) + ")";
        }
    }
}
