package dev.jute.dataplane.bpf;

import java.util.Objects;

/**
 * Who an allow entry is for (the policy module's {@code EntryPeer}, restated here because the
 * dataplane does not depend on the policy module).
 */
public sealed interface PolicyPeer {

    /** Every remote side. */
    record Any() implements PolicyPeer {
        @Override
        public String toString() {
            return "any";
        }
    }

    /** The remote addresses the ipcache maps to this identity (a miss is identity 2, "world"). */
    record Identity(int identity) implements PolicyPeer {
        public Identity {
            if (identity == 0) {
                throw new IllegalArgumentException("identity 0 is reserved for 'unknown'");
            }
        }

        @Override
        public String toString() {
            return "identity " + Integer.toUnsignedString(identity);
        }
    }

    /**
     * Remote addresses in this prefix. Only the longest CIDR peer of an endpoint and direction that
     * contains the remote address is consulted, so the entries must be closed under containment
     * (the policy compiler guarantees it).
     */
    record Cidr(IpPrefix prefix) implements PolicyPeer {
        public Cidr {
            Objects.requireNonNull(prefix, "prefix");
        }

        @Override
        public String toString() {
            return "cidr " + prefix;
        }
    }

    PolicyPeer ANY = new Any();
}
