package dev.jute.bgp.rib;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Best path selection, RFC 4271 §9.1.2.2 with the RFC 4456 refinements. It eliminates candidates
 * step by step instead of sorting, because the MED rule only compares paths from the same
 * neighbouring AS and is therefore not a total order.
 *
 * <p>Locally originated paths win first, as every implementation's "weight" does: a node always
 * prefers its own pod CIDR to a copy learned back from a neighbour.
 */
public final class DecisionProcess {
    private DecisionProcess() {
    }

    public static Path best(List<Path> candidates) {
        if (candidates.isEmpty()) {
            return null;
        }
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        List<Path> c = new ArrayList<>(candidates);
        for (Path p : c) {
            if (p.source().local()) {
                return p;
            }
        }
        long bestPref = c.stream().mapToLong(p -> p.attributes().effectiveLocalPref()).max().orElseThrow();
        c.removeIf(p -> p.attributes().effectiveLocalPref() != bestPref);
        int shortest = c.stream().mapToInt(p -> p.attributes().asPath().length()).min().orElseThrow();
        c.removeIf(p -> p.attributes().asPath().length() != shortest);
        int lowestOrigin = c.stream().mapToInt(p -> p.attributes().origin()).min().orElseThrow();
        c.removeIf(p -> p.attributes().origin() != lowestOrigin);
        List<Path> afterMed = new ArrayList<>();
        for (Path p : c) {
            boolean beaten = false;
            for (Path q : c) {
                if (q != p && neighbourAs(q) == neighbourAs(p) && med(q) < med(p)) {
                    beaten = true;
                    break;
                }
            }
            if (!beaten) {
                afterMed.add(p);
            }
        }
        c = afterMed;
        if (c.stream().anyMatch(p -> !p.source().internal())) {
            c.removeIf(p -> p.source().internal());
        }
        Path best = c.get(0);
        for (int i = 1; i < c.size(); i++) {
            if (tieBreak(c.get(i), best) < 0) {
                best = c.get(i);
            }
        }
        return best;
    }

    /** The AS a path was learned from; locally originated/iBGP paths with empty AS paths use the local AS 0. */
    private static long neighbourAs(Path p) {
        long first = p.attributes().asPath().firstAs();
        return first < 0 ? 0 : first;
    }

    /** RFC 4271 §9.1.2.2 c: a missing MED counts as the lowest value. */
    private static long med(Path p) {
        long med = p.attributes().med();
        return med < 0 ? 0 : med;
    }

    /** Steps f-g: lowest identifier (ORIGINATOR_ID when reflected), shorter CLUSTER_LIST, lowest address. */
    private static int tieBreak(Path a, Path b) {
        int c = Long.compare(identifier(a), identifier(b));
        if (c != 0) {
            return c;
        }
        c = Integer.compare(a.attributes().clusterList().size(), b.attributes().clusterList().size());
        if (c != 0) {
            return c;
        }
        return compareAddresses(a.source().address(), b.source().address());
    }

    private static long identifier(Path p) {
        long originator = p.attributes().originatorId();
        return originator >= 0 ? originator : p.source().routerId();
    }

    static int compareAddresses(InetAddress x, InetAddress y) {
        byte[] a = x.getAddress();
        byte[] b = y.getAddress();
        if (a.length != b.length) {
            return Integer.compare(a.length, b.length);
        }
        for (int i = 0; i < a.length; i++) {
            int d = Integer.compare(a[i] & 0xFF, b[i] & 0xFF);
            if (d != 0) {
                return d;
            }
        }
        return 0;
    }
}
