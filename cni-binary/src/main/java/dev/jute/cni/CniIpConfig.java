package dev.jute.cni;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of a result's {@code ips} list.
 *
 * @param address        the interface address with its prefix length, e.g. 10.244.1.7/24
 * @param gateway        default gateway for this subnet, or null
 * @param interfaceIndex index into the result's interfaces, or null (IPAM-style results)
 */
public record CniIpConfig(IpPrefix address, IpAddress gateway, Integer interfaceIndex) {

    public CniIpConfig {
        if (address == null) {
            throw new IllegalArgumentException("ip address is required");
        }
        if (interfaceIndex != null && interfaceIndex < 0) {
            throw new IllegalArgumentException("interface index must not be negative");
        }
    }

    /** The same entry pointing at another interface index. */
    public CniIpConfig withInterfaceIndex(Integer index) {
        return new CniIpConfig(address, gateway, index);
    }

    Map<String, Object> toJson(CniVersion version) {
        LinkedHashMap<String, Object> json = new LinkedHashMap<>();
        if (version.ipsCarryVersion()) {
            json.put("version", address.address().familyVersion());
        }
        json.put("address", address.toString());
        if (gateway != null) {
            json.put("gateway", gateway.toString());
        }
        if (interfaceIndex != null) {
            json.put("interface", Long.valueOf(interfaceIndex));
        }
        return json;
    }

    static CniIpConfig fromJson(JsonFields f, CniVersion version) throws CniException {
        IpPrefix address = f.requiredPrefix("address");
        if (version.ipsCarryVersion()) {
            // Required by 0.3.x/0.4.0, but the address says it all; only a contradiction is an error.
            String family = f.string("version");
            if (family != null && !family.equals(address.address().familyVersion())) {
                throw JsonFields.invalid(f.pathOf("version"), "is \"" + family + "\" but the address "
                        + address + " is IPv" + address.address().familyVersion());
            }
        }
        return new CniIpConfig(address, f.ipAddress("gateway"), f.integer("interface", 0, Integer.MAX_VALUE));
    }
}
