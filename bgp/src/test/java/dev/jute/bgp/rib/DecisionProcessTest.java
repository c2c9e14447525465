package dev.jute.bgp.rib;

import dev.jute.bgp.NextHop;
import dev.jute.bgp.message.AsPath;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class DecisionProcessTest {
    static RouteSource peer(String address, long as, long routerId, boolean internal) throws Exception {
        return new RouteSource(InetAddress.getByName(address), as, routerId, internal, false);
    }

    static RouteAttributes attrs(long... path) throws Exception {
        return RouteAttributes.local(NextHop.of(InetAddress.getByName("192.0.2.1"))).withAsPath(AsPath.sequence(path));
    }

    @Test
    void higherLocalPrefWinsOverShorterPath() throws Exception {
        Path shortPath = new Path(peer("10.0.0.1", 65001, 1, false), attrs(65001));
        Path preferred = new Path(peer("10.0.0.2", 64512, 2, true), attrs(65002, 65003).withLocalPref(200));
        assertSame(preferred, DecisionProcess.best(List.of(shortPath, preferred)));
    }

    @Test
    void missingLocalPrefCountsAsDefault() throws Exception {
        Path lower = new Path(peer("10.0.0.1", 64512, 1, true), attrs(65001).withLocalPref(90));
        Path none = new Path(peer("10.0.0.2", 65002, 2, false), attrs(65002, 65003));
        assertSame(none, DecisionProcess.best(List.of(lower, none)));
    }

    @Test
    void shorterAsPathWinsAndAsSetCountsOne() throws Exception {
        Path longer = new Path(peer("10.0.0.1", 65001, 1, false), attrs(65001, 65005, 65006));
        AsPath withSet = new AsPath(List.of(new AsPath.Segment(AsPath.AS_SEQUENCE, new int[] {65002}),
                new AsPath.Segment(AsPath.AS_SET, new int[] {1, 2, 3, 4})));
        Path set = new Path(peer("10.0.0.2", 65002, 2, false), attrs().withAsPath(withSet));
        assertEquals(2, withSet.length());
        assertSame(set, DecisionProcess.best(List.of(longer, set)));
    }

    @Test
    void lowerOriginWins() throws Exception {
        Path incomplete = new Path(peer("10.0.0.1", 65001, 1, false), attrs(65001).withOrigin(2));
        Path egp = new Path(peer("10.0.0.2", 65002, 2, false), attrs(65002).withOrigin(1));
        assertSame(egp, DecisionProcess.best(List.of(incomplete, egp)));
    }

    @Test
    void medOnlyComparesPathsFromTheSameNeighbourAs() throws Exception {
        Path aHigh = new Path(peer("10.0.0.1", 65001, 1, false), attrs(65001).withMed(50));
        Path aLow = new Path(peer("10.0.0.2", 65001, 5, false), attrs(65001).withMed(10));
        Path other = new Path(peer("10.0.0.3", 65002, 3, false), attrs(65002).withMed(100));
        // aLow eliminates aHigh; aLow vs other is decided by router id (3 < 5), not MED.
        assertSame(other, DecisionProcess.best(List.of(aHigh, aLow, other)));
        assertSame(aLow, DecisionProcess.best(List.of(aHigh, aLow)));
        // Missing MED is the best MED.
        Path aNone = new Path(peer("10.0.0.4", 65001, 9, false), attrs(65001));
        assertSame(aNone, DecisionProcess.best(List.of(aLow, aNone)));
    }

    @Test
    void ebgpIsPreferredOverIbgp() throws Exception {
        Path internal = new Path(peer("10.0.0.1", 64512, 1, true), attrs(65001));
        Path external = new Path(peer("10.0.0.2", 65002, 2, false), attrs(65002));
        assertSame(external, DecisionProcess.best(List.of(internal, external)));
    }

    @Test
    void lowestRouterIdThenOriginatorIdThenClusterListThenAddress() throws Exception {
        Path id5 = new Path(peer("10.0.0.1", 64512, 5, true), attrs(65001));
        Path id3 = new Path(peer("10.0.0.2", 64512, 3, true), attrs(65001));
        assertSame(id3, DecisionProcess.best(List.of(id5, id3)));
        Path reflected = new Path(peer("10.0.0.3", 64512, 1, true), attrs(65001).withReflection(7, List.of(1)));
        assertSame(id3, DecisionProcess.best(List.of(id3, reflected)), "ORIGINATOR_ID 7 replaces router id 1");
        Path oneCluster = new Path(peer("10.0.0.4", 64512, 9, true), attrs(65001).withReflection(3, List.of(1)));
        Path twoClusters = new Path(peer("10.0.0.5", 64512, 8, true), attrs(65001).withReflection(3, List.of(1, 2)));
        assertSame(oneCluster, DecisionProcess.best(List.of(twoClusters, oneCluster)));
        Path highAddr = new Path(peer("10.0.0.9", 64512, 4, true), attrs(65001));
        Path lowAddr = new Path(peer("10.0.0.8", 64512, 4, true), attrs(65001));
        assertSame(lowAddr, DecisionProcess.best(List.of(highAddr, lowAddr)));
    }

    @Test
    void localRoutesWin() throws Exception {
        Path learned = new Path(peer("10.0.0.1", 64512, 1, true), attrs().withLocalPref(1000));
        Path local = new Path(RouteSource.LOCAL, RouteAttributes.local(null));
        assertSame(local, DecisionProcess.best(List.of(learned, local)));
    }

    @Test
    void locRibReportsBestChanges() throws Exception {
        LocRib rib = new LocRib();
        var prefix = dev.jute.bgp.Prefix.parse("10.1.0.0/24");
        Path a = new Path(peer("10.0.0.1", 65001, 1, false), attrs(65001, 65009));
        Path b = new Path(peer("10.0.0.2", 65002, 2, false), attrs(65002));
        assertEquals(new LocRib.BestChange(prefix, null, a), rib.put(prefix, a));
        assertEquals(new LocRib.BestChange(prefix, a, b), rib.put(prefix, b));
        assertNull(rib.put(prefix, b), "same path again changes nothing");
        assertNull(rib.remove(prefix, a.source()), "losing candidate removed: best unchanged");
        assertEquals(new LocRib.BestChange(prefix, b, null), rib.remove(prefix, b.source()));
        assertEquals(0, rib.size());
    }
}
