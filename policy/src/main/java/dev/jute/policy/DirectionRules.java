package dev.jute.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * The compiled policy of one endpoint in one direction. Not isolated: everything passes and there
 * are no entries. Isolated: only what an entry allows passes (an empty set denies everything).
 *
 * <p>The {@link EntryPeer.Cidr} entries are closed under longest-prefix match: when prefixes P and
 * Q both have entries and Q contains P, every (protocol, ports) of Q is repeated under P. So a
 * dataplane that looks up only the longest matching prefix for an address still sees every rule
 * whose block holds that address.
 */
public record DirectionRules(boolean isolated, Set<AllowEntry> entries) {

    public static final DirectionRules OPEN = new DirectionRules(false, Set.of());

    public DirectionRules {
        entries = Set.copyOf(entries);
        if (!isolated && !entries.isEmpty()) {
            throw new IllegalArgumentException("a non-isolated direction has no entries");
        }
    }

    public static DirectionRules isolated(Set<AllowEntry> entries) {
        return new DirectionRules(true, entries);
    }

    /** The entries in a stable order, for printing and for syncers that want determinism. */
    public List<AllowEntry> sortedEntries() {
        List<AllowEntry> sorted = new ArrayList<>(entries);
        Collections.sort(sorted);
        return sorted;
    }
}
