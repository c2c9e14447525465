package dev.jute.bgp.message;

import java.util.List;

/**
 * OPEN (RFC 4271 §4.2). Capabilities are grouped as they were in the optional parameters
 * (some speakers send one capability per parameter), so re-encoding reproduces the same bytes.
 *
 * @param myAs the 2-octet "My Autonomous System" field (AS_TRANS when the real AS needs 4 octets)
 * @param bgpIdentifier the router id as an unsigned 32-bit value
 */
public record OpenMessage(int version, int myAs, int holdTime, long bgpIdentifier,
                          List<List<Capability>> capabilityGroups) implements BgpMessage {

    public static final int VERSION = 4;
    /** RFC 6793: placeholder 2-octet AS for speakers whose AS does not fit in 16 bits. */
    public static final int AS_TRANS = 23456;

    public OpenMessage {
        capabilityGroups = capabilityGroups.stream().map(List::copyOf).toList();
    }

    /** An OPEN with all capabilities in a single optional parameter, as BIRD, FRR and GoBGP send. */
    public static OpenMessage of(long localAs, int holdTime, long bgpIdentifier, List<Capability> capabilities) {
        int twoOctet = localAs > 0xFFFF ? AS_TRANS : (int) localAs;
        return new OpenMessage(VERSION, twoOctet, holdTime, bgpIdentifier,
                capabilities.isEmpty() ? List.of() : List.of(capabilities));
    }

    public List<Capability> capabilities() {
        return capabilityGroups.stream().flatMap(List::stream).toList();
    }

    public <T extends Capability> T capability(Class<T> type) {
        for (List<Capability> group : capabilityGroups) {
            for (Capability c : group) {
                if (type.isInstance(c)) {
                    return type.cast(c);
                }
            }
        }
        return null;
    }

    /** The speaker's AS: from the 4-octet AS capability when present, else the 2-octet field. */
    public long effectiveAs() {
        Capability.FourOctetAs four = capability(Capability.FourOctetAs.class);
        return four != null ? four.as() : myAs;
    }

    @Override
    public int type() {
        return TYPE_OPEN;
    }
}
