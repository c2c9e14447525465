package dev.jute.ipam;

import java.net.InetAddress;

/**
 * A stored record that could not be understood (disk corruption, a hand-edited file, a record that
 * appeared behind IPAM's back). Its address stays reserved, never silently reused, until an operator
 * looks at it and removes the record.
 *
 * @param address  the address the record is for
 * @param location where the record lives (a file path for the file store)
 * @param problem  what is wrong with it
 */
public record UnreadableRecord(InetAddress address, String location, String problem) {
    @Override
    public String toString() {
        return IpAddresses.format(address) + " (" + location + "): " + problem;
    }
}
