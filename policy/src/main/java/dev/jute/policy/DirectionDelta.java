package dev.jute.policy;

import java.util.Collections;
import java.util.HashSet;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * How one direction of one endpoint's compiled policy changed. A syncer applies {@code added}
 * before {@code removed} and flips isolation on only after the entries are in, so no change ever
 * drops traffic that both the old and the new policy allow.
 */
public record DirectionDelta(boolean isolatedBefore, boolean isolatedAfter, SortedSet<AllowEntry> added,
                             SortedSet<AllowEntry> removed) {

    public DirectionDelta {
        added = Collections.unmodifiableSortedSet(new TreeSet<>(added));
        removed = Collections.unmodifiableSortedSet(new TreeSet<>(removed));
    }

    static DirectionDelta between(DirectionRules before, DirectionRules after) {
        TreeSet<AllowEntry> added = new TreeSet<>();
        for (AllowEntry entry : after.entries()) {
            if (!before.entries().contains(entry)) {
                added.add(entry);
            }
        }
        TreeSet<AllowEntry> removed = new TreeSet<>();
        for (AllowEntry entry : before.entries()) {
            if (!after.entries().contains(entry)) {
                removed.add(entry);
            }
        }
        return new DirectionDelta(before.isolated(), after.isolated(), added, removed);
    }

    public boolean isEmpty() {
        return isolatedBefore == isolatedAfter && added.isEmpty() && removed.isEmpty();
    }

    DirectionRules applyTo(DirectionRules before) {
        if (!isolatedAfter) {
            return DirectionRules.OPEN;
        }
        HashSet<AllowEntry> entries = new HashSet<>(before.entries());
        entries.removeAll(removed);
        entries.addAll(added);
        return DirectionRules.isolated(entries);
    }
}
