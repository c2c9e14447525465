package dev.jute.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CniResultTest {

    /** A typical Jute ADD result using every field, including the 1.1.0-only ones. */
    static CniResult sample() {
        return new CniResult(
                List.of(CniInterface.host("jute3f9a2c", "ee:ee:ee:ee:ee:ee"),
                        new CniInterface("eth0", "0a:58:0a:f4:01:07", 1450, "/var/run/netns/pod1",
                                "/run/vhost.sock", "0000:00:1f.6")),
                List.of(new CniIpConfig(IpPrefix.parse("10.244.1.7/24"), IpAddress.parse("10.244.1.1"), 1),
                        new CniIpConfig(IpPrefix.parse("fd00:10:244:1::7/64"), null, 1)),
                List.of(new CniRoute(IpPrefix.parse("0.0.0.0/0"), IpAddress.parse("10.244.1.1"), 1400, 1360, 100,
                                254, 0),
                        new CniRoute(IpPrefix.parse("::/0"), null)),
                new CniDns(List.of("10.96.0.10"), "cluster.local", List.of("default.svc.cluster.local"),
                        List.of("ndots:5")));
    }

    private static final String INTERFACES_OLD = "\"interfaces\":[{\"name\":\"jute3f9a2c\",\"mac\":\"ee:ee:ee:ee:ee:ee\"},"
            + "{\"name\":\"eth0\",\"mac\":\"0a:58:0a:f4:01:07\",\"sandbox\":\"/var/run/netns/pod1\"}]";
    private static final String DNS = "\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"domain\":\"cluster.local\","
            + "\"search\":[\"default.svc.cluster.local\"],\"options\":[\"ndots:5\"]}";
    private static final String ROUTES_OLD = "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.244.1.1\"},{\"dst\":\"::/0\"}]";

    @ParameterizedTest
    @EnumSource(value = CniVersion.class, names = {"V0_3_0", "V0_3_1", "V0_4_0"})
    void rendersPre100Format(CniVersion version) throws Exception {
        assertEquals("{\"cniVersion\":\"" + version.text() + "\"," + INTERFACES_OLD + ","
                + "\"ips\":[{\"version\":\"4\",\"address\":\"10.244.1.7/24\",\"gateway\":\"10.244.1.1\",\"interface\":1},"
                + "{\"version\":\"6\",\"address\":\"fd00:10:244:1::7/64\",\"interface\":1}],"
                + ROUTES_OLD + "," + DNS + "}", Json.write(sample().toJson(version)));
    }

    @Test
    void renders100Format() throws Exception {
        assertEquals("{\"cniVersion\":\"1.0.0\"," + INTERFACES_OLD + ","
                + "\"ips\":[{\"address\":\"10.244.1.7/24\",\"gateway\":\"10.244.1.1\",\"interface\":1},"
                + "{\"address\":\"fd00:10:244:1::7/64\",\"interface\":1}],"
                + ROUTES_OLD + "," + DNS + "}", Json.write(sample().toJson(CniVersion.V1_0_0)));
    }

    @Test
    void renders110Format() throws Exception {
        assertEquals("{\"cniVersion\":\"1.1.0\","
                + "\"interfaces\":[{\"name\":\"jute3f9a2c\",\"mac\":\"ee:ee:ee:ee:ee:ee\"},"
                + "{\"name\":\"eth0\",\"mac\":\"0a:58:0a:f4:01:07\",\"mtu\":1450,\"sandbox\":\"/var/run/netns/pod1\","
                + "\"socketPath\":\"/run/vhost.sock\",\"pciID\":\"0000:00:1f.6\"}],"
                + "\"ips\":[{\"address\":\"10.244.1.7/24\",\"gateway\":\"10.244.1.1\",\"interface\":1},"
                + "{\"address\":\"fd00:10:244:1::7/64\",\"interface\":1}],"
                + "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.244.1.1\",\"mtu\":1400,\"advmss\":1360,"
                + "\"priority\":100,\"table\":254,\"scope\":0},{\"dst\":\"::/0\"}],"
                + DNS + "}", sample().toJsonText(CniVersion.V1_1_0));
    }

    @ParameterizedTest
    @EnumSource(CniVersion.class)
    void emptyResultHasOnlyVersionAndDns(CniVersion version) throws Exception {
        assertEquals("{\"cniVersion\":\"" + version.text() + "\",\"dns\":{}}",
                new CniResult(null, null, null, null).toJsonText(version));
    }

    @ParameterizedTest
    @EnumSource(CniVersion.class)
    void readsBackWhatItWritesInEveryVersion(CniVersion version) throws Exception {
        CniResult parsed = CniResult.fromJson(Json.parseObject(sample().toJsonText(version)), version);
        // Re-rendering gives the identical text, so nothing the version can carry was lost.
        assertEquals(sample().toJsonText(version), parsed.toJsonText(version));
        if (version.hasExtendedFields()) {
            assertEquals(sample(), parsed);
        } else {
            assertNull(parsed.interfaces().get(1).mtu());
            assertNull(parsed.routes().get(0).table());
        }
    }

    @Test
    void readsPrevResultsAsRuntimesWriteThem() throws Exception {
        // 0.3.1, from the bridge plugin via libcni's cache
        CniResult r031 = CniResult.fromJson(Json.parseObject("""
                {"cniVersion":"0.3.1","interfaces":[{"name":"cni0","mac":"00:11:22:33:44:55"},
                 {"name":"veth1","mac":"66:77:88:99:aa:bb"},{"name":"eth0","mac":"aa:bb:cc:dd:ee:ff","sandbox":"/proc/1/ns/net"}],
                 "ips":[{"version":"4","address":"10.1.0.5/16","gateway":"10.1.0.1","interface":2}],
                 "routes":[{"dst":"0.0.0.0/0"}],"dns":{}}"""), CniVersion.V0_3_1);
        assertEquals(3, r031.interfaces().size());
        assertEquals("/proc/1/ns/net", r031.interfaces().get(2).sandbox());
        assertEquals(IpPrefix.parse("10.1.0.5/16"), r031.ips().get(0).address());
        assertEquals(2, r031.ips().get(0).interfaceIndex());
        assertNull(r031.routes().get(0).gw());
        assertTrue(r031.dns().isEmpty());

        // 0.4.0 IPAM-style result: no interfaces, no index, version missing (tolerated)
        CniResult r040 = CniResult.fromJson(Json.parseObject(
                "{\"cniVersion\":\"0.4.0\",\"ips\":[{\"address\":\"fd00::2/64\",\"gateway\":\"fd00::1\"}]}"),
                CniVersion.V0_4_0);
        assertNull(r040.ips().get(0).interfaceIndex());
        assertEquals(IpAddress.parse("fd00::1"), r040.ips().get(0).gateway());

        // 1.0.0 with unknown extra fields: ignored, as libcni does
        CniResult r100 = CniResult.fromJson(Json.parseObject(
                "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"mtu\":9000,\"x\":1}],"
                        + "\"ips\":[{\"address\":\"10.0.0.2/24\",\"interface\":0}],\"routes\":[{\"dst\":\"10.0.0.0/8\","
                        + "\"gw\":\"10.0.0.1\",\"priority\":5}],\"dns\":{\"nameservers\":[\"1.1.1.1\"]}}"),
                CniVersion.V1_0_0);
        assertNull(r100.interfaces().get(0).mtu(), "mtu is not a 1.0.0 field");
        assertNull(r100.routes().get(0).priority(), "priority is not a 1.0.0 field");
        assertEquals(List.of("1.1.1.1"), r100.dns().nameservers());

        // 1.1.0 with the new fields
        CniResult r110 = CniResult.fromJson(Json.parseObject(
                "{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"eth0\",\"mtu\":9000,\"socketPath\":\"/s\"}],"
                        + "\"routes\":[{\"dst\":\"10.0.0.0/8\",\"table\":100,\"scope\":253,\"mtu\":0}]}"),
                CniVersion.V1_1_0);
        assertEquals(9000, r110.interfaces().get(0).mtu());
        assertEquals("/s", r110.interfaces().get(0).socketPath());
        assertEquals(100, r110.routes().get(0).table());
        assertEquals(253, r110.routes().get(0).scope());
        assertNull(r110.routes().get(0).mtu(), "0 means unset");
    }

    @Test
    void badPrevResultsNameTheField() {
        assertField("{\"ips\":[{\"address\":\"10.0.0.300/24\"}]}", CniVersion.V1_0_0, "result.ips[0].address");
        assertField("{\"ips\":[{\"address\":\"10.0.0.3\"}]}", CniVersion.V1_0_0, "result.ips[0].address");
        assertField("{\"ips\":[{\"version\":\"6\",\"address\":\"10.0.0.3/8\"}]}", CniVersion.V0_4_0,
                "result.ips[0].version");
        assertField("{\"ips\":[{\"address\":\"10.0.0.3/8\",\"interface\":0}]}", CniVersion.V1_0_0,
                "result.ips[0].interface");
        assertField("{\"ips\":[{\"address\":\"10.0.0.3/8\",\"interface\":-1}]}", CniVersion.V1_0_0,
                "result.ips[0].interface");
        assertField("{\"interfaces\":[{\"mac\":\"x\"}]}", CniVersion.V1_0_0, "result.interfaces[0].name");
        assertField("{\"interfaces\":{}}", CniVersion.V1_0_0, "result.interfaces");
        assertField("{\"interfaces\":[\"eth0\"]}", CniVersion.V1_0_0, "result.interfaces[0]");
        assertField("{\"routes\":[{\"gw\":\"10.0.0.1\"}]}", CniVersion.V1_0_0, "result.routes[0].dst");
        assertField("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"nope\"}]}", CniVersion.V1_0_0, "result.routes[0].gw");
        assertField("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"scope\":300}]}", CniVersion.V1_1_0,
                "result.routes[0].scope");
        assertField("{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"table\":\"main\"}]}", CniVersion.V1_1_0,
                "result.routes[0].table");
        assertField("{\"dns\":{\"nameservers\":\"8.8.8.8\"}}", CniVersion.V1_0_0, "result.dns.nameservers");
        assertField("{\"dns\":{\"search\":[1]}}", CniVersion.V1_0_0, "result.dns.search[0]");
    }

    private static void assertField(String json, CniVersion version, String field) {
        CniException e = assertThrows(CniException.class, () -> CniResult.fromJson(Json.parseObject(json), version));
        assertEquals(7, e.code());
        assertTrue(e.getMessage().contains("\"" + field + "\""), e.getMessage());
    }

    @Test
    void chainingKeepsPreviousAndReindexesOwnIps() throws Exception {
        CniResult previous = CniResult.fromJson(Json.parseObject(
                "{\"interfaces\":[{\"name\":\"br0\"},{\"name\":\"net1\",\"sandbox\":\"/n\"}],"
                        + "\"ips\":[{\"address\":\"192.168.0.2/24\",\"interface\":1}],"
                        + "\"routes\":[{\"dst\":\"192.168.0.0/16\"}],"
                        + "\"dns\":{\"nameservers\":[\"192.168.0.1\"],\"domain\":\"lan\"}}"), CniVersion.V1_0_0);
        CniResult own = new CniResult(
                List.of(CniInterface.host("jute1", null), CniInterface.container("eth0", null, null, "/n")),
                List.of(new CniIpConfig(IpPrefix.parse("10.244.0.9/24"), null, 1),
                        new CniIpConfig(IpPrefix.parse("10.250.0.9/32"), null, null)),
                List.of(new CniRoute(IpPrefix.parse("0.0.0.0/0"), IpAddress.parse("10.244.0.1"))),
                new CniDns(List.of("10.96.0.10"), null, List.of(), List.of()));
        CniResult chained = CniResult.chained(previous, own);
        assertEquals("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"br0\"},{\"name\":\"net1\",\"sandbox\":\"/n\"},"
                + "{\"name\":\"jute1\"},{\"name\":\"eth0\",\"sandbox\":\"/n\"}],"
                + "\"ips\":[{\"address\":\"192.168.0.2/24\",\"interface\":1},{\"address\":\"10.244.0.9/24\",\"interface\":3},"
                + "{\"address\":\"10.250.0.9/32\"}],"
                + "\"routes\":[{\"dst\":\"192.168.0.0/16\"},{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.244.0.1\"}],"
                + "\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"domain\":\"lan\"}}", chained.toJsonText(CniVersion.V1_0_0));
        assertEquals(own, CniResult.chained(null, own));
    }

    @Test
    void constructorsRejectInconsistentResults() {
        assertThrows(IllegalArgumentException.class, () -> new CniResult(List.of(),
                List.of(new CniIpConfig(IpPrefix.parse("10.0.0.1/8"), null, 0)), null, null));
        assertThrows(IllegalArgumentException.class, () -> new CniInterface("", null, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new CniRoute(null, null));
        assertThrows(IllegalArgumentException.class,
                () -> new CniRoute(IpPrefix.parse("0.0.0.0/0"), null, null, null, null, null, 256));
    }
}
