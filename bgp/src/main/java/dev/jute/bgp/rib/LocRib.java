package dev.jute.bgp.rib;

import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.Prefix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The Loc-RIB: every candidate path per prefix and the selected best one. Entries keep their
 * candidates in a small array since most prefixes have one or two. Single-threaded.
 */
public final class LocRib {
    /** A change of best path; {@code before} or {@code after} is null for an addition or removal. */
    public record BestChange(Prefix prefix, Path before, Path after) {
    }

    private static final class Entry {
        Path[] candidates;
        Path best;

        Entry(Path first) {
            candidates = new Path[] {first};
            best = first;
        }
    }

    private final Map<Prefix, Entry> entries = new HashMap<>();

    /** Adds or replaces the path from {@code path.source()}; returns the best-path change or null. */
    public BestChange put(Prefix prefix, Path path) {
        Entry e = entries.get(prefix);
        if (e == null) {
            entries.put(prefix, new Entry(path));
            return new BestChange(prefix, null, path);
        }
        int i = indexOf(e, path.source());
        if (i >= 0) {
            if (e.candidates[i].attributes() == path.attributes()) {
                return null; // duplicate announcement, nothing changed
            }
            e.candidates[i] = path;
        } else {
            e.candidates = Arrays.copyOf(e.candidates, e.candidates.length + 1);
            e.candidates[e.candidates.length - 1] = path;
        }
        return reselect(prefix, e);
    }

    /** Removes the path from {@code source}; returns the best-path change or null. */
    public BestChange remove(Prefix prefix, RouteSource source) {
        Entry e = entries.get(prefix);
        if (e == null) {
            return null;
        }
        int i = indexOf(e, source);
        if (i < 0) {
            return null;
        }
        if (e.candidates.length == 1) {
            entries.remove(prefix);
            return new BestChange(prefix, e.best, null);
        }
        Path[] rest = new Path[e.candidates.length - 1];
        System.arraycopy(e.candidates, 0, rest, 0, i);
        System.arraycopy(e.candidates, i + 1, rest, i, rest.length - i);
        e.candidates = rest;
        return reselect(prefix, e);
    }

    private static BestChange reselect(Prefix prefix, Entry e) {
        Path before = e.best;
        e.best = DecisionProcess.best(Arrays.asList(e.candidates));
        return before == e.best ? null : new BestChange(prefix, before, e.best);
    }

    private static int indexOf(Entry e, RouteSource source) {
        for (int i = 0; i < e.candidates.length; i++) {
            if (e.candidates[i].source().equals(source)) {
                return i;
            }
        }
        return -1;
    }

    public Path best(Prefix prefix) {
        Entry e = entries.get(prefix);
        return e == null ? null : e.best;
    }

    public List<Path> candidates(Prefix prefix) {
        Entry e = entries.get(prefix);
        return e == null ? List.of() : List.of(e.candidates);
    }

    public int size() {
        return entries.size();
    }

    public void forEachBest(BiConsumer<Prefix, Path> action) {
        entries.forEach((p, e) -> action.accept(p, e.best));
    }

    public List<Prefix> prefixes(AddressFamily family) {
        List<Prefix> out = new ArrayList<>();
        for (Prefix p : entries.keySet()) {
            if (p.family() == family) {
                out.add(p);
            }
        }
        return out;
    }
}
