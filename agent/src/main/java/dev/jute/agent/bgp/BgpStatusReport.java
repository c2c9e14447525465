package dev.jute.agent.bgp;

import dev.jute.bgp.PeerStatus;
import dev.jute.bgp.Prefix;
import dev.jute.bgp.Route;
import dev.jute.dataplane.AddressText;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The answers of the admin endpoint as JSON-ready maps (agent side), and their rendering as tables
 * (CLI side). The JSON is the contract between the two; field names are stable.
 */
final class BgpStatusReport {

    private BgpStatusReport() {
    }

    static Map<String, Object> peers(BgpRouting routing) {
        List<Object> peers = new ArrayList<>();
        for (PeerStatus p : routing.peers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("address", AddressText.of(p.address()));
            m.put("as", p.remoteAs());
            m.put("type", routing.isMeshPeer(p.address()) ? "mesh" : p.remoteAs() == routing.localAs() ? "ibgp" : "ebgp");
            m.put("state", p.state().name());
            m.put("uptimeSeconds", p.uptime() == null ? null : p.uptime().toSeconds());
            m.put("routerId", p.peerRouterId());
            m.put("received", p.prefixesReceived());
            m.put("stale", p.prefixesStale());
            m.put("advertised", p.prefixesAdvertised());
            m.put("families", p.families().stream().map(f -> f.name().toLowerCase(Locale.ROOT)).sorted().toList());
            m.put("lastError", p.lastError());
            peers.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("localAs", routing.localAs());
        out.put("peers", peers);
        return out;
    }

    static Map<String, Object> routes(BgpRouting routing) {
        KernelRouteInstaller installer = routing.installer();
        List<Object> routes = new ArrayList<>();
        java.util.Set<Prefix> loadBalancers = routing.loadBalancerRoutes();
        for (Route r : routing.routes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prefix", r.prefix().toString());
            m.put("nextHop", r.nextHop() == null ? "self" : r.nextHop().toString());
            m.put("asPath", r.attributes().asPath().toString());
            m.put("from", r.peer() == null ? "local" : AddressText.of(r.peer()));
            // What an own route is: the node's pod CIDR (to every peer) or a LoadBalancer address (external peers only).
            m.put("origin", !r.local() ? null : loadBalancers.contains(r.prefix()) ? "loadbalancer" : "pod-cidr");
            m.put("best", true);
            KernelNextHop kernel = installer.installed(r.prefix());
            m.put("kernel", kernel == null ? null : kernel.toString());
            m.put("problem", r.local() ? null : installer.failure(r.prefix()));
            routes.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("routes", routes);
        out.put("installed", installer.installedCount());
        out.put("settled", installer.settled());
        return out;
    }

    // ---------------------------------------------------------------- rendering (CLI)

    @SuppressWarnings("unchecked")
    static String renderPeers(Map<String, Object> answer) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("PEER", "AS", "TYPE", "STATE", "UPTIME", "RECEIVED", "STALE", "ADVERTISED", "LAST ERROR"));
        for (Object o : (List<Object>) answer.get("peers")) {
            Map<String, Object> p = (Map<String, Object>) o;
            Object up = p.get("uptimeSeconds");
            rows.add(List.of(str(p.get("address")), str(p.get("as")), str(p.get("type")), str(p.get("state")),
                    up == null ? "-" : duration(((Number) up).longValue()), str(p.get("received")), str(p.get("stale")),
                    str(p.get("advertised")), p.get("lastError") == null ? "" : str(p.get("lastError"))));
        }
        return "local AS " + answer.get("localAs") + "\n" + table(rows);
    }

    @SuppressWarnings("unchecked")
    static String renderRoutes(Map<String, Object> answer) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("", "PREFIX", "NEXT HOP", "AS PATH", "FROM", "KERNEL"));
        for (Object o : (List<Object>) answer.get("routes")) {
            Map<String, Object> r = (Map<String, Object>) o;
            String kernel = r.get("kernel") != null ? str(r.get("kernel"))
                    : r.get("problem") != null ? "not installed: " + r.get("problem") : "-";
            String flags = (Boolean.TRUE.equals(r.get("best")) ? "*" : " ") + (r.get("kernel") != null ? "K" : " ");
            String from = "loadbalancer".equals(r.get("origin")) ? "local (LoadBalancer, external peers)" : str(r.get("from"));
            rows.add(List.of(flags, str(r.get("prefix")), str(r.get("nextHop")), str(r.get("asPath")).isEmpty() ? "i" : str(r.get("asPath")),
                    from, kernel));
        }
        return table(rows) + "(* best, K in the kernel) " + answer.get("installed") + " routes installed"
               + (Boolean.TRUE.equals(answer.get("settled")) ? "" : ", routes of the previous agent not settled yet") + "\n";
    }

    private static String str(Object o) {
        return o == null ? "" : String.valueOf(o);
    }

    static String duration(long seconds) {
        Duration d = Duration.ofSeconds(seconds);
        if (d.toDays() > 0) {
            return d.toDays() + "d" + d.toHoursPart() + "h";
        }
        return String.format(Locale.ROOT, "%02d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }

    private static String table(List<List<String>> rows) {
        int columns = rows.getFirst().size();
        int[] width = new int[columns];
        for (List<String> row : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], row.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(i + 1 < columns ? String.format(Locale.ROOT, "%-" + (width[i] + 2) + "s", row.get(i)) : row.get(i));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    /** For {@code jute bgp routes PREFIX}: only routes inside (or equal to) a prefix. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> filter(Map<String, Object> answer, Prefix within) {
        List<Object> kept = new ArrayList<>();
        for (Object o : (List<Object>) answer.get("routes")) {
            Prefix p = Prefix.parse(str(((Map<String, Object>) o).get("prefix")));
            if (p.family() == within.family() && p.length() >= within.length()
                && new Prefix(p.family(), p.high(), p.low(), within.length()).equals(within)) {
                kept.add(o);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>(answer);
        out.put("routes", kept);
        return out;
    }
}
