package dev.jute.policy;

import java.net.InetAddress;
import java.util.Objects;

/** A connection side that is not a pod: a node, a client on the internet, a VM. */
public record ExternalAddress(InetAddress address) implements Party {

    public ExternalAddress {
        Objects.requireNonNull(address, "address");
    }

    public static ExternalAddress parse(String literal) {
        return new ExternalAddress(IpCidr.parseAddress(literal));
    }

    @Override
    public String describe() {
        return IpCidr.format(address);
    }
}
