package dev.jute.agent.service;

import dev.jute.dataplane.bpf.ServiceFrontend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The one rule for a frontend that several Services claim, shared by {@link ServiceCompiler} (which
 * claims every Service's frontends at once) and {@link IncrementalServiceCompiler} (which withdraws
 * and claims one Service's at a time), so the two cannot disagree:
 * <ul>
 *   <li>the Service first in key order ({@code namespace/name}) holds the frontend, on every node and
 *       whatever order the claims come in;</li>
 *   <li>a Service that names one frontend twice (say an external IP that is also its ClusterIP) counts
 *       with its first claim, held or not;</li>
 *   <li>every other Service gets one problem per frontend it lost.</li>
 * </ul>
 * Uncontested frontends, nearly all of them, cost one map entry; only contested ones keep every claim.
 * Not thread-safe.
 */
final class FrontendClaims {

    /** The holding claim of every frontend. */
    private final Map<ServiceFrontend.Key, CompiledFrontend> holders = new HashMap<>();
    private final Map<ServiceFrontend.Key, CompiledFrontend> holdersView = Collections.unmodifiableMap(holders);
    /** Frontends claimed by more than one Service: each Service's first claim, by Service key. */
    private final Map<ServiceFrontend.Key, TreeMap<String, CompiledFrontend>> contested = new HashMap<>();

    /** Adds a Service's claims on its frontends. A Service claims at most once until it {@linkplain #withdraw withdraws}. */
    void claim(ServiceCompiler.CompiledService service) {
        for (CompiledFrontend frontend : service.frontends()) {
            claim(service.key(), frontend);
        }
    }

    private void claim(String service, CompiledFrontend frontend) {
        ServiceFrontend.Key key = frontend.key();
        CompiledFrontend holder = holders.putIfAbsent(key, frontend);
        if (holder == null || holder.service().equals(service)) {
            return; // first claim, or the holder naming it again: its first claim stands
        }
        TreeMap<String, CompiledFrontend> claims = contested.computeIfAbsent(key, k -> new TreeMap<>());
        claims.putIfAbsent(holder.service(), holder);
        claims.putIfAbsent(service, frontend); // a loser naming it again keeps its first claim too
        holders.put(key, claims.firstEntry().getValue());
    }

    /** Takes back every claim of a Service, as {@link #claim} made them. */
    void withdraw(ServiceCompiler.CompiledService service) {
        for (CompiledFrontend frontend : service.frontends()) {
            withdraw(service.key(), frontend.key());
        }
    }

    private void withdraw(String service, ServiceFrontend.Key key) {
        TreeMap<String, CompiledFrontend> claims = contested.get(key);
        if (claims == null) {
            CompiledFrontend holder = holders.get(key);
            if (holder != null && holder.service().equals(service)) {
                holders.remove(key);
            }
            return;
        }
        claims.remove(service);
        holders.put(key, claims.firstEntry().getValue());
        if (claims.size() == 1) {
            contested.remove(key);
        }
    }

    /** The holding claim of every claimed frontend: a read-only live view. */
    Map<ServiceFrontend.Key, CompiledFrontend> holders() {
        return holdersView;
    }

    /** The Services that lost at least one frontend, in key order. */
    SortedSet<String> losers() {
        SortedSet<String> losers = new TreeSet<>();
        contested.values().forEach(claims -> losers.addAll(claims.tailMap(claims.firstKey(), false).keySet()));
        return losers;
    }

    /**
     * Why a Service's share is not programmed in full: why it was skipped, or each frontend it lost (once,
     * in the order of its frontends) and to whom. Empty when it holds all it claimed. Its claims must be in.
     */
    List<String> problemsOf(ServiceCompiler.CompiledService service) {
        if (service.problem() != null) {
            return List.of(service.problem());
        }
        List<String> problems = new ArrayList<>();
        Set<ServiceFrontend.Key> seen = new HashSet<>();
        for (CompiledFrontend frontend : service.frontends()) {
            CompiledFrontend holder = holders.get(frontend.key());
            if (!holder.service().equals(service.key()) && seen.add(frontend.key())) {
                problems.add(service.key() + ": frontend " + frontend.key() + " is already used by " + holder.service());
            }
        }
        return problems;
    }

    void clear() {
        holders.clear();
        contested.clear();
    }
}
