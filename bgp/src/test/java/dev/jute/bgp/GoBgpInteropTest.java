package dev.jute.bgp;

import dev.jute.bgp.fsm.SessionState;
import dev.jute.bgp.message.AsPath;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Interop with a real GoBGP 3 daemon on loopback (no namespaces, no root, never port 179): GoBGP
 * listens on 127.0.0.2 and connects to Jute's passive listener on 127.0.0.1. Skipped when gobgpd
 * is not installed.
 */
class GoBgpInteropTest {
    static final Path GOBGPD = Path.of("/usr/bin/gobgpd");
    static final Path GOBGP = Path.of("/usr/bin/gobgp");
    static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void jutePeersWithGoBgpAndExchangesIpv4AndIpv6Routes() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(GOBGPD) && Files.isExecutable(GOBGP),
                "gobgpd/gobgp not installed (Debian package gobgpd); skipping GoBGP interop");
        InetAddress jute = InetAddress.getByName("127.0.0.1");
        InetAddress gobgpAddress = InetAddress.getByName("127.0.0.2");
        RecordingRouteListener learned = new RecordingRouteListener();
        Path dir = Files.createTempDirectory("jute-gobgp");
        Process daemon = null;
        try (BgpSpeaker speaker = BgpSpeaker.builder().localAs(64512).routerId(0x0A000001L).listen(jute, 0)
                .routeListener(learned).build().start()) {
            int bgpPort = freePort(gobgpAddress);
            int apiPort = freePort(jute);
            String api = "127.0.0.1:" + apiPort;
            Files.writeString(dir.resolve("gobgp.toml"), """
                    [global.config]
                      as = 65002
                      router-id = "10.0.0.2"
                      port = %d
                      local-address-list = ["127.0.0.2"]
                    [[neighbors]]
                      [neighbors.config]
                        neighbor-address = "127.0.0.1"
                        peer-as = 64512
                      [neighbors.transport.config]
                        remote-port = %d
                        local-address = "127.0.0.2"
                      [neighbors.timers.config]
                        connect-retry = 1
                      [neighbors.graceful-restart.config]
                        enabled = true
                      [[neighbors.afi-safis]]
                        [neighbors.afi-safis.config]
                          afi-safi-name = "ipv4-unicast"
                      [[neighbors.afi-safis]]
                        [neighbors.afi-safis.config]
                          afi-safi-name = "ipv6-unicast"
                    """.formatted(bgpPort, speaker.listenPort()));
            // GoBGP treats loopback NEXT_HOPs as invalid (treat-as-withdraw), so announce a routable one.
            speaker.addPeer(PeerConfig.builder(gobgpAddress, 65002).passive(true)
                    .ipv4NextHop(InetAddress.getByName("192.0.2.1"))
                    .ipv6NextHop(InetAddress.getByName("2001:db8::1")).build());
            daemon = new ProcessBuilder(GOBGPD.toString(), "-f", dir.resolve("gobgp.toml").toString(),
                    "--api-hosts", api, "-p", "--pprof-disable")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("gobgpd.log").toFile()).start();

            RecordingRouteListener.await("session with GoBGP", WAIT,
                    () -> speaker.peerStatus().get(0).state() == SessionState.ESTABLISHED);

            gobgp(api, "global", "rib", "add", "10.2.0.0/24", "nexthop", "127.0.0.2", "community", "65002:7");
            gobgp(api, "global", "rib", "-a", "ipv6", "add", "2001:db8:2::/48", "nexthop", "2001:db8::2");
            speaker.announce(Prefix.parse("10.244.1.0/24"), null, null);
            speaker.announce(Prefix.parse("2001:db8:244::/64"), null, null);

            RecordingRouteListener.await("GoBGP routes in Jute", WAIT, () -> learned.routes.size() == 4);
            Route v4 = learned.routes.get(Prefix.parse("10.2.0.0/24"));
            assertEquals(AsPath.sequence(65002), v4.attributes().asPath());
            assertEquals(List.of((65002 << 16) | 7), v4.attributes().communities());
            assertEquals(gobgpAddress, v4.nextHop().address());
            Route v6 = learned.routes.get(Prefix.parse("2001:db8:2::/48"));
            assertNotNull(v6, learned.routes.toString());

            awaitOrExplain("Jute IPv4 route in GoBGP", dir, api,
                    () -> gobgp(api, "global", "rib").contains("10.244.1.0/24"), "global", "rib");
            awaitOrExplain("Jute IPv6 route in GoBGP", dir, api,
                    () -> gobgp(api, "global", "rib", "-a", "ipv6").contains("2001:db8:244::/64"), "global", "rib", "-a", "ipv6");
            String rib4 = gobgp(api, "global", "rib", "10.244.1.0/24");
            assertTrue(rib4.contains("192.0.2.1") && rib4.contains("64512"), rib4);
            assertTrue(gobgp(api, "global", "rib", "-a", "ipv6").contains("2001:db8::1"), "IPv6 next hop");

            speaker.withdraw(Prefix.parse("10.244.1.0/24"));
            gobgp(api, "global", "rib", "del", "10.2.0.0/24");
            RecordingRouteListener.await("withdrawals both ways", WAIT, () ->
                    !gobgp(api, "global", "rib").contains("10.244.1.0/24")
                            && !learned.routes.containsKey(Prefix.parse("10.2.0.0/24")));
            assertEquals(2, speaker.peerStatus().get(0).prefixesAdvertised() + speaker.peerStatus().get(0).prefixesReceived());
        } finally {
            if (daemon != null) {
                daemon.destroy();
                if (!daemon.waitFor(5, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly();
                }
            }
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** Waits; on timeout the failure shows GoBGP's view and log, which is what one needs to debug interop. */
    static void awaitOrExplain(String what, Path dir, String api, java.util.function.BooleanSupplier condition,
                               String... ribArgs) throws Exception {
        try {
            RecordingRouteListener.await(what, WAIT, condition);
        } catch (AssertionError e) {
            String log = Files.readString(dir.resolve("gobgpd.log"));
            throw new AssertionError(what + " timed out. GoBGP rib:\n" + gobgp(api, ribArgs) + "\nneighbor:\n"
                    + gobgp(api, "neighbor", "127.0.0.1") + "\nlog tail:\n"
                    + log.substring(Math.max(0, log.length() - 3000)), e);
        }
    }

    static int freePort(InetAddress address) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, address)) {
            return s.getLocalPort();
        }
    }

    static String gobgp(String api, String... args) {
        List<String> cmd = new ArrayList<>(List.of(GOBGP.toString(), "-u", api.split(":")[0], "-p", api.split(":")[1]));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
