package dev.jute.cni;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The success result of ADD (and the {@code prevResult} of later commands), independent of the
 * CNI version; {@link #toJson(CniVersion)} renders one version's exact format and
 * {@link #fromJson(Map, CniVersion)} reads any supported version.
 *
 * <p>Rendering follows libcni: empty interfaces/ips/routes lists are left out, {@code dns} is
 * always present (possibly {@code {}}), 0.3.x/0.4.0 ips carry {@code "version"}, and the fields
 * that 1.1.0 introduced are dropped for older versions.
 */
public record CniResult(List<CniInterface> interfaces, List<CniIpConfig> ips, List<CniRoute> routes, CniDns dns) {

    public CniResult {
        interfaces = interfaces == null ? List.of() : List.copyOf(interfaces);
        ips = ips == null ? List.of() : List.copyOf(ips);
        routes = routes == null ? List.of() : List.copyOf(routes);
        dns = dns == null ? CniDns.EMPTY : dns;
        for (CniIpConfig ip : ips) {
            Integer index = ip.interfaceIndex();
            if (index != null && index >= interfaces.size()) {
                throw new IllegalArgumentException("ip " + ip.address() + " refers to interface " + index
                        + " but the result has " + interfaces.size() + " interfaces");
            }
        }
    }

    /** The result's JSON object in the given version's format, "cniVersion" first. */
    public Map<String, Object> toJson(CniVersion version) {
        LinkedHashMap<String, Object> json = new LinkedHashMap<>();
        json.put("cniVersion", version.text());
        if (!interfaces.isEmpty()) {
            ArrayList<Object> list = new ArrayList<>(interfaces.size());
            for (CniInterface i : interfaces) {
                list.add(i.toJson(version));
            }
            json.put("interfaces", list);
        }
        if (!ips.isEmpty()) {
            ArrayList<Object> list = new ArrayList<>(ips.size());
            for (CniIpConfig ip : ips) {
                list.add(ip.toJson(version));
            }
            json.put("ips", list);
        }
        if (!routes.isEmpty()) {
            ArrayList<Object> list = new ArrayList<>(routes.size());
            for (CniRoute r : routes) {
                list.add(r.toJson(version));
            }
            json.put("routes", list);
        }
        json.put("dns", dns.toJson());
        return json;
    }

    /** {@link #toJson(CniVersion)} as compact JSON text, ready for stdout. */
    public String toJsonText(CniVersion version) {
        try {
            return Json.write(toJson(version));
        } catch (JsonException e) {
            throw new IllegalStateException("result holds a string that JSON cannot carry: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a result written in the given version's format (the version comes from the network
     * configuration that carries it; a "cniVersion" member inside is not trusted over it).
     * Errors are code 7 and name the offending field, prefixed by "result".
     */
    public static CniResult fromJson(Map<String, Object> json, CniVersion version) throws CniException {
        return fromJson(JsonFields.of(json, "result"), version);
    }

    static CniResult fromJson(JsonFields f, CniVersion version) throws CniException {
        ArrayList<CniInterface> interfaces = new ArrayList<>();
        List<Object> rawInterfaces = f.array("interfaces");
        if (rawInterfaces != null) {
            for (int i = 0; i < rawInterfaces.size(); i++) {
                interfaces.add(CniInterface.fromJson(
                        JsonFields.of(rawInterfaces.get(i), f.pathOf("interfaces") + "[" + i + "]"), version));
            }
        }
        ArrayList<CniIpConfig> ips = new ArrayList<>();
        List<Object> rawIps = f.array("ips");
        if (rawIps != null) {
            for (int i = 0; i < rawIps.size(); i++) {
                String path = f.pathOf("ips") + "[" + i + "]";
                CniIpConfig ip = CniIpConfig.fromJson(JsonFields.of(rawIps.get(i), path), version);
                if (ip.interfaceIndex() != null && ip.interfaceIndex() >= interfaces.size()) {
                    throw JsonFields.invalid(path + ".interface", "is " + ip.interfaceIndex()
                            + " but there are only " + interfaces.size() + " interfaces");
                }
                ips.add(ip);
            }
        }
        ArrayList<CniRoute> routes = new ArrayList<>();
        List<Object> rawRoutes = f.array("routes");
        if (rawRoutes != null) {
            for (int i = 0; i < rawRoutes.size(); i++) {
                routes.add(CniRoute.fromJson(
                        JsonFields.of(rawRoutes.get(i), f.pathOf("routes") + "[" + i + "]"), version));
            }
        }
        JsonFields dns = f.object("dns");
        return new CniResult(interfaces, ips, routes, dns == null ? CniDns.EMPTY : CniDns.fromJson(dns));
    }

    /**
     * The result of a plugin that runs after others in a chain: everything {@code previous}
     * reported is kept in order and {@code own} is appended, with {@code own}'s ips re-pointed at
     * the appended interfaces' new positions. DNS fields that {@code own} sets replace the previous
     * ones; fields it leaves empty keep the previous values.
     */
    public static CniResult chained(CniResult previous, CniResult own) {
        if (previous == null) {
            return own;
        }
        int offset = previous.interfaces.size();
        ArrayList<CniInterface> interfaces = new ArrayList<>(previous.interfaces);
        interfaces.addAll(own.interfaces);
        ArrayList<CniIpConfig> ips = new ArrayList<>(previous.ips);
        for (CniIpConfig ip : own.ips) {
            ips.add(ip.interfaceIndex() == null ? ip : ip.withInterfaceIndex(ip.interfaceIndex() + offset));
        }
        ArrayList<CniRoute> routes = new ArrayList<>(previous.routes);
        routes.addAll(own.routes);
        CniDns p = previous.dns;
        CniDns o = own.dns;
        CniDns dns = new CniDns(
                o.nameservers().isEmpty() ? p.nameservers() : o.nameservers(),
                o.domain() == null ? p.domain() : o.domain(),
                o.search().isEmpty() ? p.search() : o.search(),
                o.options().isEmpty() ? p.options() : o.options());
        return new CniResult(interfaces, ips, routes, dns);
    }
}
