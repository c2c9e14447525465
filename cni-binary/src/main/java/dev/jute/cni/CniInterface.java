package dev.jute.cni;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of a result's {@code interfaces} list.
 *
 * @param name       interface name (required)
 * @param mac        hardware address, or null when L2 addresses are not meaningful
 * @param mtu        MTU, or null (1.1.0 only; 0 means unset, as in libcni)
 * @param sandbox    netns path for container interfaces, null for host interfaces
 * @param socketPath vhost-user or similar socket (1.1.0 only), or null
 * @param pciId      PCI address of a device interface (1.1.0 only), or null
 */
public record CniInterface(String name, String mac, Integer mtu, String sandbox, String socketPath, String pciId) {

    public CniInterface {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("interface name is required");
        }
        if (mtu != null && mtu < 0) {
            throw new IllegalArgumentException("interface mtu must not be negative");
        }
        mac = emptyToNull(mac);
        mtu = mtu != null && mtu == 0 ? null : mtu;
        sandbox = emptyToNull(sandbox);
        socketPath = emptyToNull(socketPath);
        pciId = emptyToNull(pciId);
    }

    /** A host-side interface (no sandbox). */
    public static CniInterface host(String name, String mac) {
        return new CniInterface(name, mac, null, null, null, null);
    }

    /** A container interface inside the given network namespace. */
    public static CniInterface container(String name, String mac, Integer mtu, String netns) {
        return new CniInterface(name, mac, mtu, netns, null, null);
    }

    Map<String, Object> toJson(CniVersion version) {
        LinkedHashMap<String, Object> json = new LinkedHashMap<>();
        json.put("name", name);
        putIfSet(json, "mac", mac);
        if (version.hasExtendedFields() && mtu != null) {
            json.put("mtu", Long.valueOf(mtu));
        }
        putIfSet(json, "sandbox", sandbox);
        if (version.hasExtendedFields()) {
            putIfSet(json, "socketPath", socketPath);
            putIfSet(json, "pciID", pciId);
        }
        return json;
    }

    static CniInterface fromJson(JsonFields f, CniVersion version) throws CniException {
        String name = f.requiredString("name");
        String mac = f.string("mac");
        String sandbox = f.string("sandbox");
        if (!version.hasExtendedFields()) {
            return new CniInterface(name, mac, null, sandbox, null, null);
        }
        return new CniInterface(name, mac, f.integer("mtu", 0, Integer.MAX_VALUE), sandbox,
                f.string("socketPath"), f.string("pciID"));
    }

    static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    static void putIfSet(Map<String, Object> json, String key, String value) {
        if (value != null) {
            json.put(key, value);
        }
    }
}
