package dev.jute.bgp.message;

import dev.jute.bgp.Prefix;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One path attribute as it appears on the wire, with its flags, so that a decoded UPDATE
 * re-encodes to the same bytes. Semantic handling lives in {@code rib.PathAttributes}.
 */
public sealed interface PathAttribute {
    int FLAG_OPTIONAL = 0x80;
    int FLAG_TRANSITIVE = 0x40;
    int FLAG_PARTIAL = 0x20;
    int FLAG_EXTENDED_LENGTH = 0x10;

    int ORIGIN = 1;
    int AS_PATH = 2;
    int NEXT_HOP = 3;
    int MULTI_EXIT_DISC = 4;
    int LOCAL_PREF = 5;
    int ATOMIC_AGGREGATE = 6;
    int AGGREGATOR = 7;
    int COMMUNITIES = 8;
    int ORIGINATOR_ID = 9;
    int CLUSTER_LIST = 10;
    int MP_REACH_NLRI = 14;
    int MP_UNREACH_NLRI = 15;
    int AS4_PATH = 17;
    int AS4_AGGREGATOR = 18;

    int WELL_KNOWN = FLAG_TRANSITIVE;
    int OPTIONAL_TRANSITIVE = FLAG_OPTIONAL | FLAG_TRANSITIVE;
    int OPTIONAL_NON_TRANSITIVE = FLAG_OPTIONAL;

    int flags();

    int typeCode();

    record Origin(int flags, int origin) implements PathAttribute {
        public static final int IGP = 0;
        public static final int EGP = 1;
        public static final int INCOMPLETE = 2;

        public Origin(int origin) {
            this(WELL_KNOWN, origin);
        }

        @Override
        public int typeCode() {
            return ORIGIN;
        }
    }

    record AsPathAttribute(int flags, AsPath path) implements PathAttribute {
        public AsPathAttribute(AsPath path) {
            this(WELL_KNOWN, path);
        }

        @Override
        public int typeCode() {
            return AS_PATH;
        }
    }

    /** IPv4 NEXT_HOP as an unsigned 32-bit address. */
    record NextHop(int flags, int address) implements PathAttribute {
        public NextHop(int address) {
            this(WELL_KNOWN, address);
        }

        @Override
        public int typeCode() {
            return NEXT_HOP;
        }
    }

    record MultiExitDisc(int flags, long med) implements PathAttribute {
        public MultiExitDisc(long med) {
            this(OPTIONAL_NON_TRANSITIVE, med);
        }

        @Override
        public int typeCode() {
            return MULTI_EXIT_DISC;
        }
    }

    record LocalPref(int flags, long localPref) implements PathAttribute {
        public LocalPref(long localPref) {
            this(WELL_KNOWN, localPref);
        }

        @Override
        public int typeCode() {
            return LOCAL_PREF;
        }
    }

    record AtomicAggregate(int flags) implements PathAttribute {
        @Override
        public int typeCode() {
            return ATOMIC_AGGREGATE;
        }
    }

    /** AGGREGATOR; {@code as} is 2- or 4-octet on the wire depending on the session. */
    record Aggregator(int flags, long as, int address) implements PathAttribute {
        @Override
        public int typeCode() {
            return AGGREGATOR;
        }
    }

    record As4Aggregator(int flags, long as, int address) implements PathAttribute {
        @Override
        public int typeCode() {
            return AS4_AGGREGATOR;
        }
    }

    record As4PathAttribute(int flags, AsPath path) implements PathAttribute {
        @Override
        public int typeCode() {
            return AS4_PATH;
        }
    }

    record Communities(int flags, int[] communities) implements PathAttribute {
        public Communities {
            communities = communities.clone();
        }

        @Override
        public int[] communities() {
            return communities.clone();
        }

        @Override
        public int typeCode() {
            return COMMUNITIES;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Communities c && c.flags == flags && Arrays.equals(c.communities, communities);
        }

        @Override
        public int hashCode() {
            return flags * 31 + Arrays.hashCode(communities);
        }
    }

    record OriginatorId(int flags, int originatorId) implements PathAttribute {
        @Override
        public int typeCode() {
            return ORIGINATOR_ID;
        }
    }

    record ClusterList(int flags, int[] clusterIds) implements PathAttribute {
        public ClusterList {
            clusterIds = clusterIds.clone();
        }

        @Override
        public int[] clusterIds() {
            return clusterIds.clone();
        }

        @Override
        public int typeCode() {
            return CLUSTER_LIST;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ClusterList c && c.flags == flags && Arrays.equals(c.clusterIds, clusterIds);
        }

        @Override
        public int hashCode() {
            return flags * 31 + Arrays.hashCode(clusterIds);
        }
    }

    /**
     * MP_REACH_NLRI (RFC 4760). For families Jute does not carry, {@code nlri} is empty and the
     * raw NLRI octets are kept in {@code opaqueNlri}. {@code nextHop} holds 4, 16 or 32 octets.
     */
    record MpReach(int flags, int afi, int safi, byte[] nextHop, List<Prefix> nlri, byte[] opaqueNlri)
            implements PathAttribute {
        public MpReach {
            nextHop = nextHop.clone();
            nlri = List.copyOf(nlri);
            opaqueNlri = opaqueNlri.clone();
        }

        public MpReach(int afi, int safi, byte[] nextHop, List<Prefix> nlri) {
            this(OPTIONAL_NON_TRANSITIVE, afi, safi, nextHop, nlri, new byte[0]);
        }

        @Override
        public byte[] nextHop() {
            return nextHop.clone();
        }

        @Override
        public byte[] opaqueNlri() {
            return opaqueNlri.clone();
        }

        @Override
        public int typeCode() {
            return MP_REACH_NLRI;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MpReach m && m.flags == flags && m.afi == afi && m.safi == safi
                    && Arrays.equals(m.nextHop, nextHop) && m.nlri.equals(nlri)
                    && Arrays.equals(m.opaqueNlri, opaqueNlri);
        }

        @Override
        public int hashCode() {
            return ((flags * 31 + afi) * 31 + safi) * 31 + nlri.hashCode();
        }

        @Override
        public String toString() {
            return "MpReach(afi=" + afi + ", safi=" + safi + ", nextHop=" + HexFormat.of().formatHex(nextHop)
                    + ", nlri=" + nlri + ")";
        }
    }

    record MpUnreach(int flags, int afi, int safi, List<Prefix> withdrawn, byte[] opaqueNlri)
            implements PathAttribute {
        public MpUnreach {
            withdrawn = List.copyOf(withdrawn);
            opaqueNlri = opaqueNlri.clone();
        }

        public MpUnreach(int afi, int safi, List<Prefix> withdrawn) {
            this(OPTIONAL_NON_TRANSITIVE, afi, safi, withdrawn, new byte[0]);
        }

        @Override
        public byte[] opaqueNlri() {
            return opaqueNlri.clone();
        }

        @Override
        public int typeCode() {
            return MP_UNREACH_NLRI;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MpUnreach m && m.flags == flags && m.afi == afi && m.safi == safi
                    && m.withdrawn.equals(withdrawn) && Arrays.equals(m.opaqueNlri, opaqueNlri);
        }

        @Override
        public int hashCode() {
            return ((flags * 31 + afi) * 31 + safi) * 31 + withdrawn.hashCode();
        }
    }

    /** An attribute Jute does not interpret (large/extended communities, ...), kept verbatim. */
    record Unknown(int flags, int typeCode, byte[] value) implements PathAttribute {
        public Unknown {
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        public boolean transitive() {
            return (flags & FLAG_TRANSITIVE) != 0;
        }

        public boolean optional() {
            return (flags & FLAG_OPTIONAL) != 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Unknown u && u.flags == flags && u.typeCode == typeCode && Arrays.equals(u.value, value);
        }

        @Override
        public int hashCode() {
            return (flags * 31 + typeCode) * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Attribute(type=" + typeCode + ", flags=0x" + Integer.toHexString(flags) + ", "
                    + HexFormat.of().formatHex(value) + ")";
        }
    }
}
