package dev.jute.ipam;

import java.io.IOException;
import java.net.InetAddress;

/**
 * {@link IpamStore#add} found a record for the address already: the store refused to hand the address
 * out twice. With a single owner this only happens when an earlier failed write left a record behind.
 */
public final class AddressAlreadyRecordedException extends IOException {
    private final InetAddress address;

    public AddressAlreadyRecordedException(InetAddress address, String location) {
        super("a record for " + IpAddresses.format(address) + " already exists at " + location);
        this.address = address;
    }

    public InetAddress address() {
        return address;
    }
}
