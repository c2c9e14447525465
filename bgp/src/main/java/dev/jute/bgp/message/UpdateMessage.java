package dev.jute.bgp.message;

import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.Prefix;

import java.util.ArrayList;
import java.util.List;

/**
 * UPDATE (RFC 4271 §4.3) with IPv4 withdrawn routes and NLRI in the classic fields and other
 * families inside MP_REACH/MP_UNREACH attributes. {@code errors} lists the RFC 7606 outcomes the
 * decoder applied: discarded attributes, or treat-as-withdraw of every prefix in the message.
 */
public record UpdateMessage(List<Prefix> withdrawn, List<PathAttribute> attributes, List<Prefix> nlri,
                            List<AttributeError> errors) implements BgpMessage {

    public UpdateMessage {
        withdrawn = List.copyOf(withdrawn);
        attributes = List.copyOf(attributes);
        nlri = List.copyOf(nlri);
        errors = List.copyOf(errors);
    }

    public UpdateMessage(List<Prefix> withdrawn, List<PathAttribute> attributes, List<Prefix> nlri) {
        this(withdrawn, attributes, nlri, List.of());
    }

    /** RFC 7606 handling the decoder chose for one malformed attribute. */
    public record AttributeError(Action action, int attributeType, String reason) {
        public enum Action { TREAT_AS_WITHDRAW, ATTRIBUTE_DISCARD }
    }

    /** The End-of-RIB marker for a family (RFC 4724 §2). */
    public static UpdateMessage endOfRib(AddressFamily family) {
        if (family == AddressFamily.IPV4) {
            return new UpdateMessage(List.of(), List.of(), List.of());
        }
        return new UpdateMessage(List.of(),
                List.of(new PathAttribute.MpUnreach(family.afi(), AddressFamily.SAFI_UNICAST, List.of())),
                List.of());
    }

    /** The family this message marks End-of-RIB for, or {@code null} when it is not a marker. */
    public AddressFamily endOfRibFamily() {
        if (!withdrawn.isEmpty() || !nlri.isEmpty() || !errors.isEmpty()) {
            return null;
        }
        if (attributes.isEmpty()) {
            return AddressFamily.IPV4;
        }
        if (attributes.size() == 1 && attributes.get(0) instanceof PathAttribute.MpUnreach u
                && u.withdrawn().isEmpty() && u.opaqueNlri().length == 0) {
            return AddressFamily.fromAfiSafi(u.afi(), u.safi());
        }
        return null;
    }

    public boolean treatAsWithdraw() {
        for (AttributeError e : errors) {
            if (e.action() == AttributeError.Action.TREAT_AS_WITHDRAW) {
                return true;
            }
        }
        return false;
    }

    public <T extends PathAttribute> T attribute(Class<T> type) {
        for (PathAttribute a : attributes) {
            if (type.isInstance(a)) {
                return type.cast(a);
            }
        }
        return null;
    }

    /** Every prefix this message announces, classic and multiprotocol. */
    public List<Prefix> allAnnounced() {
        List<Prefix> out = new ArrayList<>(nlri);
        PathAttribute.MpReach reach = attribute(PathAttribute.MpReach.class);
        if (reach != null) {
            out.addAll(reach.nlri());
        }
        return out;
    }

    /** Every prefix this message withdraws, classic and multiprotocol. */
    public List<Prefix> allWithdrawn() {
        List<Prefix> out = new ArrayList<>(withdrawn);
        PathAttribute.MpUnreach unreach = attribute(PathAttribute.MpUnreach.class);
        if (unreach != null) {
            out.addAll(unreach.withdrawn());
        }
        return out;
    }


    @Override
    public int type() {
        return TYPE_UPDATE;
    }

}
