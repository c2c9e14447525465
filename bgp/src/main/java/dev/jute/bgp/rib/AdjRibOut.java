package dev.jute.bgp.rib;

import dev.jute.bgp.Prefix;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What was advertised to one peer, plus the changes not yet sent. Changes are queued and sent
 * together so a burst of Loc-RIB changes becomes a few packed UPDATEs, and a prefix that flaps
 * within one burst is sent once.
 */
public final class AdjRibOut {
    private final Map<Prefix, RouteAttributes> advertised = new HashMap<>();
    private final Map<Prefix, RouteAttributes> pendingAnnounce = new LinkedHashMap<>();
    private final Set<Prefix> pendingWithdraw = new LinkedHashSet<>();

    /** Records the attributes to advertise for a prefix, or {@code null} to withdraw it. */
    public void update(Prefix prefix, RouteAttributes attributes) {
        if (attributes == null) {
            pendingAnnounce.remove(prefix);
            if (advertised.containsKey(prefix)) {
                pendingWithdraw.add(prefix);
            }
            return;
        }
        pendingWithdraw.remove(prefix);
        if (advertised.get(prefix) == attributes) {
            pendingAnnounce.remove(prefix);
        } else {
            pendingAnnounce.put(prefix, attributes);
        }
    }

    public boolean hasPending() {
        return !pendingAnnounce.isEmpty() || !pendingWithdraw.isEmpty();
    }

    /** Takes the pending announcements and marks them advertised. */
    public Map<Prefix, RouteAttributes> takeAnnouncements() {
        Map<Prefix, RouteAttributes> out = new LinkedHashMap<>(pendingAnnounce);
        advertised.putAll(pendingAnnounce);
        pendingAnnounce.clear();
        return out;
    }

    /** Takes the pending withdrawals and forgets them as advertised. */
    public Set<Prefix> takeWithdrawals() {
        Set<Prefix> out = new LinkedHashSet<>(pendingWithdraw);
        advertised.keySet().removeAll(pendingWithdraw);
        pendingWithdraw.clear();
        return out;
    }

    /** Re-queues everything advertised (route refresh, RFC 2918). */
    public void resendAll() {
        pendingAnnounce.putAll(advertised);
    }

    public RouteAttributes advertised(Prefix prefix) {
        return advertised.get(prefix);
    }

    public int advertisedCount() {
        return advertised.size();
    }

    public void clear() {
        advertised.clear();
        pendingAnnounce.clear();
        pendingWithdraw.clear();
    }
}
