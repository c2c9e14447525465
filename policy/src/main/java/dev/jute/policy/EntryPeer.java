package dev.jute.policy;

import java.util.Objects;

/** Who a compiled allow entry is for: everyone, the pods of one identity, or one address prefix. */
public sealed interface EntryPeer extends Comparable<EntryPeer> {

    /** Any remote side at all (a rule without peers). */
    record Any() implements EntryPeer {
        @Override
        public String toString() {
            return "any";
        }
    }

    /** The pods carrying this numeric identity, found by looking the remote address up in the ipcache. */
    record Identity(int identity) implements EntryPeer {
        @Override
        public String toString() {
            return "identity " + identity;
        }
    }

    /** Remote addresses in this prefix, pods included (matched by address, not identity). */
    record Cidr(IpCidr cidr) implements EntryPeer {
        public Cidr {
            Objects.requireNonNull(cidr, "cidr");
        }

        @Override
        public String toString() {
            return "cidr " + cidr;
        }
    }

    EntryPeer ANY = new Any();

    private int rank() {
        return switch (this) {
            case Any a -> 0;
            case Identity i -> 1;
            case Cidr c -> 2;
        };
    }

    @Override
    default int compareTo(EntryPeer other) {
        int byKind = Integer.compare(rank(), other.rank());
        if (byKind != 0) {
            return byKind;
        }
        return switch (this) {
            case Any a -> 0;
            case Identity i -> Integer.compare(i.identity(), ((Identity) other).identity());
            case Cidr c -> c.cidr().compareTo(((Cidr) other).cidr());
        };
    }
}
