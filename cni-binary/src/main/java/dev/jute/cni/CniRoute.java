package dev.jute.cni;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of a result's {@code routes} list. All fields but {@code dst} and {@code gw} exist
 * only in CNI 1.1.0 and are dropped when rendering older versions.
 *
 * @param dst      destination prefix (required)
 * @param gw       next hop, or null for the default gateway of the matching ips entry
 * @param mtu      route MTU, or null (0 means unset, as in libcni)
 * @param advmss   advertised MSS, or null (0 means unset)
 * @param priority route priority (metric), or null (0 means unset)
 * @param table    routing table, or null
 * @param scope    route scope (e.g. 0 universe, 253 link), or null
 */
public record CniRoute(IpPrefix dst, IpAddress gw, Integer mtu, Integer advmss, Integer priority,
                       Integer table, Integer scope) {

    public CniRoute {
        if (dst == null) {
            throw new IllegalArgumentException("route dst is required");
        }
        mtu = zeroToNull(mtu, "mtu");
        advmss = zeroToNull(advmss, "advmss");
        priority = zeroToNull(priority, "priority");
        if (table != null && table < 0) {
            throw new IllegalArgumentException("route table must not be negative");
        }
        if (scope != null && (scope < 0 || scope > 255)) {
            throw new IllegalArgumentException("route scope must be 0..255");
        }
    }

    /** A plain route, valid in every version. */
    public CniRoute(IpPrefix dst, IpAddress gw) {
        this(dst, gw, null, null, null, null, null);
    }

    private static Integer zeroToNull(Integer v, String what) {
        if (v != null && v < 0) {
            throw new IllegalArgumentException("route " + what + " must not be negative");
        }
        return v != null && v == 0 ? null : v;
    }

    Map<String, Object> toJson(CniVersion version) {
        LinkedHashMap<String, Object> json = new LinkedHashMap<>();
        json.put("dst", dst.toString());
        if (gw != null) {
            json.put("gw", gw.toString());
        }
        if (version.hasExtendedFields()) {
            putIfSet(json, "mtu", mtu);
            putIfSet(json, "advmss", advmss);
            putIfSet(json, "priority", priority);
            putIfSet(json, "table", table);
            putIfSet(json, "scope", scope);
        }
        return json;
    }

    private static void putIfSet(Map<String, Object> json, String key, Integer value) {
        if (value != null) {
            json.put(key, Long.valueOf(value));
        }
    }

    static CniRoute fromJson(JsonFields f, CniVersion version) throws CniException {
        IpPrefix dst = f.requiredPrefix("dst");
        IpAddress gw = f.ipAddress("gw");
        if (!version.hasExtendedFields()) {
            return new CniRoute(dst, gw);
        }
        return new CniRoute(dst, gw,
                f.integer("mtu", 0, Integer.MAX_VALUE),
                f.integer("advmss", 0, Integer.MAX_VALUE),
                f.integer("priority", 0, Integer.MAX_VALUE),
                f.integer("table", 0, Integer.MAX_VALUE),
                f.integer("scope", 0, 255));
    }
}
