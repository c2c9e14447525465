package dev.jute.bgp.message;

import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.Prefix;

import java.util.ArrayList;
import java.util.List;

import static dev.jute.bgp.message.ErrorCodes.*;
import static dev.jute.bgp.message.PathAttribute.*;

/**
 * Decodes complete BGP messages (header included). Every malformed input ends in either a decoded
 * message (possibly carrying RFC 7606 attribute errors) or a {@link BgpDecodeException} naming the
 * NOTIFICATION to send; nothing else escapes.
 */
public final class MessageDecoder {
    private final boolean fourOctetAs;

    /** @param fourOctetAs whether both speakers announced the 4-octet AS capability (RFC 6793) */
    public MessageDecoder(boolean fourOctetAs) {
        this.fourOctetAs = fourOctetAs;
    }

    public boolean fourOctetAs() {
        return fourOctetAs;
    }

    /**
     * Validates the 19-octet header at {@code offset} and returns the message length. Used by the
     * framer before the whole message has arrived, so it only needs the header bytes.
     */
    public static int checkHeader(byte[] header, int offset) throws BgpDecodeException {
        for (int i = 0; i < 16; i++) {
            if (header[offset + i] != (byte) 0xFF) {
                throw new BgpDecodeException(MESSAGE_HEADER_ERROR, HEADER_CONNECTION_NOT_SYNCHRONIZED,
                        "marker is not all ones");
            }
        }
        int length = ((header[offset + 16] & 0xFF) << 8) | (header[offset + 17] & 0xFF);
        int type = header[offset + 18] & 0xFF;
        byte[] lengthField = {header[offset + 16], header[offset + 17]};
        if (length < BgpMessage.HEADER_LENGTH || length > BgpMessage.MAX_LENGTH) {
            throw new BgpDecodeException(MESSAGE_HEADER_ERROR, HEADER_BAD_MESSAGE_LENGTH, lengthField,
                    "length " + length + " outside 19..4096");
        }
        boolean lengthOk = switch (type) {
            case BgpMessage.TYPE_OPEN -> length >= 29;
            case BgpMessage.TYPE_UPDATE -> length >= 23;
            case BgpMessage.TYPE_NOTIFICATION -> length >= 21;
            case BgpMessage.TYPE_KEEPALIVE -> length == 19;
            case BgpMessage.TYPE_ROUTE_REFRESH -> length == 23;
            default -> throw new BgpDecodeException(MESSAGE_HEADER_ERROR, HEADER_BAD_MESSAGE_TYPE,
                    new byte[] {(byte) type}, "unknown message type " + type);
        };
        if (!lengthOk) {
            throw new BgpDecodeException(MESSAGE_HEADER_ERROR, HEADER_BAD_MESSAGE_LENGTH, lengthField,
                    "length " + length + " invalid for message type " + type);
        }
        return length;
    }

    /** Decodes one message; {@code bytes} must hold exactly the message. */
    public BgpMessage decode(byte[] bytes) throws BgpDecodeException {
        if (bytes.length < BgpMessage.HEADER_LENGTH) {
            throw new BgpDecodeException(MESSAGE_HEADER_ERROR, HEADER_BAD_MESSAGE_LENGTH,
                    "message shorter than the header");
        }
        int length = checkHeader(bytes, 0);
        if (length != bytes.length) {
            throw new BgpDecodeException(MESSAGE_HEADER_ERROR, HEADER_BAD_MESSAGE_LENGTH,
                    new byte[] {bytes[16], bytes[17]}, "length field " + length + " but " + bytes.length + " octets");
        }
        int type = bytes[18] & 0xFF;
        int bodyLength = length - BgpMessage.HEADER_LENGTH;
        return switch (type) {
            case BgpMessage.TYPE_OPEN -> decodeOpen(bytes, bodyLength);
            case BgpMessage.TYPE_UPDATE -> decodeUpdate(bytes, bodyLength);
            case BgpMessage.TYPE_NOTIFICATION -> new NotificationMessage(bytes[19] & 0xFF, bytes[20] & 0xFF,
                    java.util.Arrays.copyOfRange(bytes, 21, length));
            case BgpMessage.TYPE_KEEPALIVE -> KeepaliveMessage.INSTANCE;
            case BgpMessage.TYPE_ROUTE_REFRESH -> new RouteRefreshMessage(((bytes[19] & 0xFF) << 8) | (bytes[20] & 0xFF),
                    bytes[21] & 0xFF, bytes[22] & 0xFF);
            default -> throw new IllegalStateException("checkHeader accepted type " + type);
        };
    }

    // ---------------------------------------------------------------- OPEN

    private static OpenMessage decodeOpen(byte[] bytes, int bodyLength) throws BgpDecodeException {
        WireReader r = new WireReader(bytes, BgpMessage.HEADER_LENGTH, bodyLength, OPEN_MESSAGE_ERROR, 0, "OPEN");
        int version = r.u8();
        if (version != OpenMessage.VERSION) {
            throw new BgpDecodeException(OPEN_MESSAGE_ERROR, OPEN_UNSUPPORTED_VERSION, new byte[] {0, 4},
                    "version " + version + ", only 4 is supported");
        }
        int myAs = r.u16();
        int holdTime = r.u16();
        if (holdTime == 1 || holdTime == 2) {
            throw new BgpDecodeException(OPEN_MESSAGE_ERROR, OPEN_UNACCEPTABLE_HOLD_TIME,
                    "hold time " + holdTime + " (must be 0 or at least 3)");
        }
        long bgpId = r.u32();
        if (bgpId == 0) {
            throw new BgpDecodeException(OPEN_MESSAGE_ERROR, OPEN_BAD_BGP_IDENTIFIER, "BGP identifier 0.0.0.0");
        }
        int paramsLength = r.u8();
        boolean extended = false;
        if (paramsLength == 255 && r.remaining() >= 1 && (bytes[r.position()] & 0xFF) == 255) {
            // RFC 9072 extended optional parameters: type 255 then a 2-octet length.
            r.u8();
            paramsLength = r.u16();
            extended = true;
        }
        if (paramsLength != r.remaining()) {
            throw new BgpDecodeException(MESSAGE_HEADER_ERROR, HEADER_BAD_MESSAGE_LENGTH,
                    new byte[] {bytes[16], bytes[17]},
                    "optional parameters length " + paramsLength + " but " + r.remaining() + " octets follow");
        }
        List<List<Capability>> groups = new ArrayList<>();
        while (r.hasRemaining()) {
            int paramType = r.u8();
            int paramLength = extended ? r.u16() : r.u8();
            WireReader p = r.slice(paramLength, OPEN_MESSAGE_ERROR, 0, "optional parameter");
            if (paramType != 2) {
                throw new BgpDecodeException(OPEN_MESSAGE_ERROR, OPEN_UNSUPPORTED_OPTIONAL_PARAMETER,
                        "optional parameter type " + paramType);
            }
            List<Capability> caps = new ArrayList<>();
            while (p.hasRemaining()) {
                int code = p.u8();
                int capLength = p.u8();
                caps.add(decodeCapability(code, p.slice(capLength, OPEN_MESSAGE_ERROR, 0, "capability " + code),
                        capLength));
            }
            groups.add(caps);
        }
        return new OpenMessage(version, myAs, holdTime, bgpId, groups);
    }

    private static Capability decodeCapability(int code, WireReader c, int length) throws BgpDecodeException {
        switch (code) {
            case Capability.CODE_MULTIPROTOCOL -> {
                requireCapabilityLength(code, length, length == 4);
                int afi = c.u16();
                c.u8();
                return new Capability.Multiprotocol(afi, c.u8());
            }
            case Capability.CODE_ROUTE_REFRESH -> {
                requireCapabilityLength(code, length, length == 0);
                return new Capability.RouteRefresh();
            }
            case Capability.CODE_FOUR_OCTET_AS -> {
                requireCapabilityLength(code, length, length == 4);
                return new Capability.FourOctetAs(c.u32());
            }
            case Capability.CODE_GRACEFUL_RESTART -> {
                requireCapabilityLength(code, length, length >= 2 && (length - 2) % 4 == 0);
                int head = c.u16();
                List<Capability.GracefulRestart.Family> families = new ArrayList<>();
                while (c.hasRemaining()) {
                    families.add(new Capability.GracefulRestart.Family(c.u16(), c.u8(), c.u8()));
                }
                return new Capability.GracefulRestart(head >>> 12, head & 0x0FFF, families);
            }
            default -> {
                return new Capability.Unknown(code, c.bytes(length));
            }
        }
    }

    private static void requireCapabilityLength(int code, int length, boolean ok) throws BgpDecodeException {
        if (!ok) {
            throw new BgpDecodeException(OPEN_MESSAGE_ERROR, 0, "capability " + code + " has invalid length " + length);
        }
    }

    // ---------------------------------------------------------------- UPDATE

    private UpdateMessage decodeUpdate(byte[] bytes, int bodyLength) throws BgpDecodeException {
        WireReader r = new WireReader(bytes, BgpMessage.HEADER_LENGTH, bodyLength,
                UPDATE_MESSAGE_ERROR, UPDATE_MALFORMED_ATTRIBUTE_LIST, "UPDATE");
        int withdrawnLength = r.u16();
        if (withdrawnLength > r.remaining() - 2) {
            throw new BgpDecodeException(UPDATE_MESSAGE_ERROR, UPDATE_MALFORMED_ATTRIBUTE_LIST,
                    "withdrawn routes length " + withdrawnLength + " exceeds the message");
        }
        List<Prefix> withdrawn = decodePrefixes(
                r.slice(withdrawnLength, UPDATE_MESSAGE_ERROR, UPDATE_INVALID_NETWORK_FIELD, "withdrawn routes"),
                AddressFamily.IPV4, UPDATE_INVALID_NETWORK_FIELD);
        int attributesLength = r.u16();
        if (attributesLength > r.remaining()) {
            throw new BgpDecodeException(UPDATE_MESSAGE_ERROR, UPDATE_MALFORMED_ATTRIBUTE_LIST,
                    "total path attribute length " + attributesLength + " exceeds the message");
        }
        WireReader attributesReader = r.slice(attributesLength, UPDATE_MESSAGE_ERROR,
                UPDATE_MALFORMED_ATTRIBUTE_LIST, "path attributes");
        List<Prefix> nlri = decodePrefixes(r, AddressFamily.IPV4, UPDATE_INVALID_NETWORK_FIELD);

        List<PathAttribute> attributes = new ArrayList<>();
        List<UpdateMessage.AttributeError> errors = new ArrayList<>();
        decodeAttributes(attributesReader, attributes, errors);

        boolean announces = !nlri.isEmpty();
        for (PathAttribute a : attributes) {
            if (a instanceof MpReach m && (!m.nlri().isEmpty() || m.opaqueNlri().length > 0)) {
                announces = true;
            }
        }
        if (announces && errors.stream().noneMatch(e -> e.action() == UpdateMessage.AttributeError.Action.TREAT_AS_WITHDRAW)) {
            requirePresent(attributes, errors, Origin.class, ORIGIN, "ORIGIN");
            requirePresent(attributes, errors, AsPathAttribute.class, AS_PATH, "AS_PATH");
            if (!nlri.isEmpty()) {
                requirePresent(attributes, errors, PathAttribute.NextHop.class, NEXT_HOP, "NEXT_HOP");
            }
        }
        return new UpdateMessage(withdrawn, attributes, nlri, errors);
    }

    private static void requirePresent(List<PathAttribute> attributes, List<UpdateMessage.AttributeError> errors,
                                       Class<? extends PathAttribute> type, int code, String name) {
        for (PathAttribute a : attributes) {
            if (type.isInstance(a)) {
                return;
            }
        }
        // RFC 7606 §3(d): a missing well-known mandatory attribute means treat-as-withdraw.
        errors.add(new UpdateMessage.AttributeError(UpdateMessage.AttributeError.Action.TREAT_AS_WITHDRAW, code,
                "missing well-known attribute " + name));
    }

    private void decodeAttributes(WireReader r, List<PathAttribute> out, List<UpdateMessage.AttributeError> errors)
            throws BgpDecodeException {
        boolean[] seen = new boolean[256];
        while (r.hasRemaining()) {
            int headerStart = r.position();
            int flags = r.u8();
            int minHeader = (flags & FLAG_EXTENDED_LENGTH) != 0 ? 3 : 2;
            if (r.remaining() < minHeader) {
                // RFC 7606 §4: too few octets left for an attribute header.
                treatAsWithdraw(errors, 0, "truncated attribute header");
                return;
            }
            int type = r.u8();
            int length = (flags & FLAG_EXTENDED_LENGTH) != 0 ? r.u16() : r.u8();
            if (length > r.remaining()) {
                if (type == MP_REACH_NLRI || type == MP_UNREACH_NLRI) {
                    throw new BgpDecodeException(UPDATE_MESSAGE_ERROR, UPDATE_ATTRIBUTE_LENGTH_ERROR,
                            attributeData(r, headerStart), "attribute " + type + " overruns the attribute list");
                }
                // RFC 7606 §4: an attribute overrunning the list means treat-as-withdraw.
                treatAsWithdraw(errors, type, "attribute " + type + " length " + length + " overruns the attribute list");
                return;
            }
            WireReader value = r.slice(length, UPDATE_MESSAGE_ERROR, UPDATE_ATTRIBUTE_LENGTH_ERROR,
                    "attribute " + type);
            if (seen[type]) {
                if (type == MP_REACH_NLRI || type == MP_UNREACH_NLRI) {
                    throw new BgpDecodeException(UPDATE_MESSAGE_ERROR, UPDATE_MALFORMED_ATTRIBUTE_LIST,
                            "attribute " + type + " appears twice");
                }
                // RFC 7606 §3(g): all but the first occurrence are discarded.
                errors.add(new UpdateMessage.AttributeError(UpdateMessage.AttributeError.Action.ATTRIBUTE_DISCARD,
                        type, "duplicate attribute " + type));
                continue;
            }
            seen[type] = true;
            PathAttribute a = decodeAttribute(flags, type, length, value, r, headerStart, errors);
            if (a != null) {
                out.add(a);
            }
        }
    }

    private static byte[] attributeData(WireReader r, int headerStart) {
        int end = Math.min(r.position(), headerStart + 3 + 65535);
        return java.util.Arrays.copyOfRange(r.array(), headerStart, Math.max(headerStart, end));
    }

    private static void treatAsWithdraw(List<UpdateMessage.AttributeError> errors, int type, String reason) {
        errors.add(new UpdateMessage.AttributeError(UpdateMessage.AttributeError.Action.TREAT_AS_WITHDRAW, type, reason));
    }

    private static void discard(List<UpdateMessage.AttributeError> errors, int type, String reason) {
        errors.add(new UpdateMessage.AttributeError(UpdateMessage.AttributeError.Action.ATTRIBUTE_DISCARD, type, reason));
    }

    /** Optional and transitive bits a known attribute must carry (RFC 7606 §3(c)). */
    private static int expectedCategory(int type) {
        return switch (type) {
            case ORIGIN, AS_PATH, NEXT_HOP, LOCAL_PREF, ATOMIC_AGGREGATE -> WELL_KNOWN;
            case MULTI_EXIT_DISC, ORIGINATOR_ID, CLUSTER_LIST, MP_REACH_NLRI, MP_UNREACH_NLRI -> OPTIONAL_NON_TRANSITIVE;
            case AGGREGATOR, COMMUNITIES, AS4_PATH, AS4_AGGREGATOR -> OPTIONAL_TRANSITIVE;
            default -> -1;
        };
    }

    private PathAttribute decodeAttribute(int flags, int type, int length, WireReader v, WireReader outer,
                                          int headerStart, List<UpdateMessage.AttributeError> errors)
            throws BgpDecodeException {
        int category = expectedCategory(type);
        if (category < 0) {
            if ((flags & FLAG_OPTIONAL) == 0) {
                throw new BgpDecodeException(UPDATE_MESSAGE_ERROR, UPDATE_UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
                        attributeData(outer, headerStart), "unrecognized well-known attribute " + type);
            }
            return new Unknown(flags, type, v.bytes(length));
        }
        boolean flagsOk = (flags & (FLAG_OPTIONAL | FLAG_TRANSITIVE)) == category;
        if (!flagsOk) {
            if (type == MP_REACH_NLRI || type == MP_UNREACH_NLRI) {
                throw new BgpDecodeException(UPDATE_MESSAGE_ERROR, UPDATE_ATTRIBUTE_FLAGS_ERROR,
                        attributeData(outer, headerStart), "attribute " + type + " has flags 0x" + Integer.toHexString(flags));
            }
            if (type == AS4_PATH || type == AS4_AGGREGATOR || type == AGGREGATOR || type == ATOMIC_AGGREGATE) {
                discard(errors, type, "attribute " + type + " has wrong flags 0x" + Integer.toHexString(flags));
            } else {
                treatAsWithdraw(errors, type, "attribute " + type + " has wrong flags 0x" + Integer.toHexString(flags));
            }
            return null;
        }
        switch (type) {
            case ORIGIN -> {
                int origin = length == 1 ? v.u8() : -1;
                if (origin < 0 || origin > 2) {
                    treatAsWithdraw(errors, type, "invalid ORIGIN (length " + length + ", value " + origin + ")");
                    return null;
                }
                return new Origin(flags, origin);
            }
            case AS_PATH -> {
                AsPath path = decodeAsPath(v, fourOctetAs);
                if (path == null) {
                    treatAsWithdraw(errors, type, "malformed AS_PATH");
                    return null;
                }
                return new AsPathAttribute(flags, path);
            }
            case AS4_PATH -> {
                AsPath path = decodeAsPath(v, true);
                if (path == null) {
                    discard(errors, type, "malformed AS4_PATH");
                    return null;
                }
                return new As4PathAttribute(flags, path);
            }
            case NEXT_HOP -> {
                if (length != 4) {
                    treatAsWithdraw(errors, type, "NEXT_HOP length " + length);
                    return null;
                }
                int nh = v.s32();
                int first = nh >>> 24;
                if (nh == 0 || nh == -1 || (first >= 224 && first <= 239)) {
                    treatAsWithdraw(errors, type, "NEXT_HOP " + ipv4(nh) + " is not a unicast address");
                    return null;
                }
                return new PathAttribute.NextHop(flags, nh);
            }
            case MULTI_EXIT_DISC, LOCAL_PREF -> {
                if (length != 4) {
                    treatAsWithdraw(errors, type, "attribute " + type + " length " + length);
                    return null;
                }
                long value = v.u32();
                return type == MULTI_EXIT_DISC ? new MultiExitDisc(flags, value) : new LocalPref(flags, value);
            }
            case ATOMIC_AGGREGATE -> {
                if (length != 0) {
                    discard(errors, type, "ATOMIC_AGGREGATE length " + length);
                    return null;
                }
                return new AtomicAggregate(flags);
            }
            case AGGREGATOR -> {
                int expected = fourOctetAs ? 8 : 6;
                if (length != expected) {
                    discard(errors, type, "AGGREGATOR length " + length + ", expected " + expected);
                    return null;
                }
                long as = fourOctetAs ? v.u32() : v.u16();
                return new Aggregator(flags, as, v.s32());
            }
            case AS4_AGGREGATOR -> {
                if (length != 8) {
                    discard(errors, type, "AS4_AGGREGATOR length " + length);
                    return null;
                }
                return new As4Aggregator(flags, v.u32(), v.s32());
            }
            case COMMUNITIES, CLUSTER_LIST -> {
                if (length == 0 || length % 4 != 0) {
                    treatAsWithdraw(errors, type, "attribute " + type + " length " + length + " not a positive multiple of 4");
                    return null;
                }
                int[] values = new int[length / 4];
                for (int i = 0; i < values.length; i++) {
                    values[i] = v.s32();
                }
                return type == COMMUNITIES ? new Communities(flags, values) : new ClusterList(flags, values);
            }
            case ORIGINATOR_ID -> {
                if (length != 4) {
                    treatAsWithdraw(errors, type, "ORIGINATOR_ID length " + length);
                    return null;
                }
                return new OriginatorId(flags, v.s32());
            }
            case MP_REACH_NLRI -> {
                return decodeMpReach(flags, v);
            }
            case MP_UNREACH_NLRI -> {
                return decodeMpUnreach(flags, v);
            }
            default -> throw new IllegalStateException("category known but type not handled: " + type);
        }
    }

    /** RFC 7606 §7.11: a malformed MP attribute hides the NLRI, so the session must be reset. */
    private static MpReach decodeMpReach(int flags, WireReader v) throws BgpDecodeException {
        WireReader r = v.slice(v.remaining(), UPDATE_MESSAGE_ERROR, UPDATE_OPTIONAL_ATTRIBUTE_ERROR, "MP_REACH_NLRI");
        int afi = r.u16();
        int safi = r.u8();
        int nextHopLength = r.u8();
        byte[] nextHop = r.bytes(nextHopLength);
        r.u8(); // reserved (formerly number of SNPAs), ignored on receipt per RFC 4760
        AddressFamily family = AddressFamily.fromAfiSafi(afi, safi);
        if (family == null) {
            return new MpReach(flags, afi, safi, nextHop, List.of(), r.bytes(r.remaining()));
        }
        boolean nextHopOk = family == AddressFamily.IPV4 ? nextHopLength == 4
                : nextHopLength == 16 || nextHopLength == 32;
        if (!nextHopOk) {
            throw new BgpDecodeException(UPDATE_MESSAGE_ERROR, UPDATE_OPTIONAL_ATTRIBUTE_ERROR,
                    "MP_REACH_NLRI next hop length " + nextHopLength + " invalid for " + family);
        }
        return new MpReach(flags, afi, safi, nextHop, decodePrefixes(r, family, UPDATE_OPTIONAL_ATTRIBUTE_ERROR),
                new byte[0]);
    }

    private static MpUnreach decodeMpUnreach(int flags, WireReader v) throws BgpDecodeException {
        WireReader r = v.slice(v.remaining(), UPDATE_MESSAGE_ERROR, UPDATE_OPTIONAL_ATTRIBUTE_ERROR, "MP_UNREACH_NLRI");
        int afi = r.u16();
        int safi = r.u8();
        AddressFamily family = AddressFamily.fromAfiSafi(afi, safi);
        if (family == null) {
            return new MpUnreach(flags, afi, safi, List.of(), r.bytes(r.remaining()));
        }
        return new MpUnreach(flags, afi, safi, decodePrefixes(r, family, UPDATE_OPTIONAL_ATTRIBUTE_ERROR), new byte[0]);
    }

    private static List<Prefix> decodePrefixes(WireReader r, AddressFamily family, int subcode)
            throws BgpDecodeException {
        if (!r.hasRemaining()) {
            return List.of();
        }
        List<Prefix> out = new ArrayList<>();
        byte[] address = new byte[family.addressBytes()];
        while (r.hasRemaining()) {
            int length = r.u8();
            if (length > family.maxPrefixLength()) {
                throw new BgpDecodeException(UPDATE_MESSAGE_ERROR, subcode,
                        "prefix length " + length + " too long for " + family);
            }
            int octets = (length + 7) / 8;
            if (octets > r.remaining()) {
                throw new BgpDecodeException(UPDATE_MESSAGE_ERROR, subcode,
                        "prefix of length " + length + " truncated");
            }
            java.util.Arrays.fill(address, (byte) 0);
            for (int i = 0; i < octets; i++) {
                address[i] = (byte) r.u8();
            }
            out.add(Prefix.of(address, length));
        }
        return out;
    }

    /** An AS path, or {@code null} when malformed (RFC 7606 §7.2: bad segment type, zero length, overrun). */
    private static AsPath decodeAsPath(WireReader r, boolean fourOctet) throws BgpDecodeException {
        List<AsPath.Segment> segments = new ArrayList<>();
        int asSize = fourOctet ? 4 : 2;
        while (r.hasRemaining()) {
            if (r.remaining() < 2) {
                return null;
            }
            int type = r.u8();
            int count = r.u8();
            if (type < AsPath.AS_SET || type > AsPath.AS_CONFED_SET || count == 0 || count * asSize > r.remaining()) {
                return null;
            }
            int[] asns = new int[count];
            for (int i = 0; i < count; i++) {
                asns[i] = fourOctet ? r.s32() : r.u16();
            }
            segments.add(new AsPath.Segment(type, asns));
        }
        return segments.isEmpty() ? AsPath.EMPTY : new AsPath(segments);
    }

    static String ipv4(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }
}
