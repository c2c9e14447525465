package dev.jute.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one cluster change did to the desired dataplane state: the endpoints whose compiled policy
 * changed (only those), the ipcache rows to write or delete, and the validation problems if the
 * change was a policy that had to be rejected (then nothing else changed).
 */
public record CompilationDelta(List<ValidationProblem> problems, List<EndpointDelta> endpoints,
                               SortedMap<IpCidr, Integer> ipcacheUpserts, SortedSet<IpCidr> ipcacheRemovals) {

    public CompilationDelta {
        problems = List.copyOf(problems);
        endpoints = List.copyOf(endpoints);
        ipcacheUpserts = Collections.unmodifiableSortedMap(new TreeMap<>(ipcacheUpserts));
        ipcacheRemovals = Collections.unmodifiableSortedSet(new TreeSet<>(ipcacheRemovals));
    }

    static CompilationDelta rejected(List<ValidationProblem> problems) {
        return new CompilationDelta(problems, List.of(), new TreeMap<>(), new TreeSet<>());
    }

    public boolean isEmpty() {
        return endpoints.isEmpty() && ipcacheUpserts.isEmpty() && ipcacheRemovals.isEmpty();
    }

    /** The state after this delta, given the state before it; how tests prove deltas are complete. */
    public DesiredState applyTo(DesiredState before) {
        TreeMap<ObjectRef, EndpointRules> endpointRules = new TreeMap<>(before.endpoints());
        for (EndpointDelta delta : endpoints) {
            if (delta.change() == EndpointDelta.Change.REMOVED) {
                endpointRules.remove(delta.endpoint());
                continue;
            }
            EndpointRules old = endpointRules.get(delta.endpoint());
            DirectionRules ingress = delta.ingress().applyTo(old == null ? DirectionRules.OPEN : old.ingress());
            DirectionRules egress = delta.egress().applyTo(old == null ? DirectionRules.OPEN : old.egress());
            endpointRules.put(delta.endpoint(), new EndpointRules(delta.endpoint(), delta.identityAfter(), ingress, egress));
        }
        TreeMap<IpCidr, Integer> ipcache = new TreeMap<>(before.ipcache());
        ipcacheRemovals.forEach(ipcache::remove);
        ipcache.putAll(ipcacheUpserts);
        return new DesiredState(endpointRules, ipcache);
    }

    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        problems.forEach(p -> lines.add("problem " + p));
        endpoints.forEach(d -> lines.add(d.change() + " " + d.endpoint() + " identity " + d.identityBefore() + "->"
                + d.identityAfter() + " ingress +" + d.ingress().added().size() + "/-" + d.ingress().removed().size()
                + " egress +" + d.egress().added().size() + "/-" + d.egress().removed().size()));
        lines.add("ipcache +" + ipcacheUpserts.size() + "/-" + ipcacheRemovals.size());
        return String.join("\n", lines);
    }
}
