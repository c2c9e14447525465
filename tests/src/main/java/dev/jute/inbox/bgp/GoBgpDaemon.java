package dev.jute.inbox.bgp;

import dev.jute.inbox.Command;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * GoBGP as a peer. It keeps announced prefixes only in memory (added through its CLI) and never installs
 * kernel routes, so what it learned from Jute is read from its RIB. After a restart its prefixes are added
 * again, as an operator's script would.
 */
final class GoBgpDaemon implements PeerDaemon {

    static final int API_PORT = 50051;

    private final Spec spec;
    private final Path config;
    private final Path log;
    private final List<String> announced;
    private DaemonProcess process;

    GoBgpDaemon(Spec spec) {
        this.spec = spec;
        this.config = spec.workDir().resolve("gobgp.toml");
        this.log = spec.workDir().resolve("gobgpd.log");
        this.announced = new ArrayList<>(spec.announced());
    }

    @Override
    public String name() {
        return "GoBGP";
    }

    @Override
    public Spec spec() {
        return spec;
    }

    @Override
    public void start() {
        DaemonProcess.write(config, """
                [global.config]
                  as = %d
                  router-id = "%s"
                [[neighbors]]
                  [neighbors.config]
                    neighbor-address = "%s"
                    peer-as = %d
                    %s
                  [neighbors.timers.config]
                    connect-retry = 1
                  [neighbors.graceful-restart.config]
                    enabled = true
                    restart-time = 120
                  [[neighbors.afi-safis]]
                    [neighbors.afi-safis.config]
                      afi-safi-name = "ipv4-unicast"
                    [neighbors.afi-safis.mp-graceful-restart.config]
                      enabled = true
                """.formatted(spec.as(), spec.routerId(), spec.neighbor(), spec.neighborAs(),
                spec.password() == null ? "" : "auth-password = \"" + spec.password() + "\""));
        launch(false);
    }

    private void launch(boolean restarted) {
        List<String> command = new ArrayList<>(List.of("gobgpd", "-f", config.toString(), "--api-hosts",
                "127.0.0.1:" + API_PORT, "--pprof-disable"));
        if (restarted) {
            command.add("-r"); // graceful restart: the R bit in our OPEN, peers keep our routes until End-of-RIB
        }
        process = DaemonProcess.start(spec.netns(), log, command.toArray(String[]::new));
        awaitApi();
        for (String prefix : announced) {
            gobgp("global", "rib", "add", prefix).check();
        }
    }

    private void awaitApi() {
        for (int i = 0; i < 100; i++) {
            if (gobgp("global").ok()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new IllegalStateException("gobgpd did not answer on its API:\n" + DaemonProcess.tail(log, 2000));
    }

    Command.Result gobgp(String... args) {
        List<String> command = new ArrayList<>(List.of("gobgp", "-u", "127.0.0.1", "-p", Integer.toString(API_PORT)));
        command.addAll(List.of(args));
        return spec.netns().exec(command.toArray(String[]::new));
    }

    @Override
    public boolean established() {
        return gobgp("neighbor", spec.neighbor()).stdout().toLowerCase(java.util.Locale.ROOT).contains("bgp state = established");
    }

    @Override
    public void announce(String prefix) {
        announced.add(prefix);
        if (process != null && process.alive()) {
            gobgp("global", "rib", "add", prefix).check();
        }
    }

    @Override
    public void withdraw(String prefix) {
        announced.remove(prefix);
        if (process != null && process.alive()) {
            gobgp("global", "rib", "del", prefix).check();
        }
    }

    @Override
    public boolean learned(String prefix) {
        Command.Result rib = gobgp("global", "rib", prefix);
        return rib.ok() && rib.stdout().contains(prefix) && rib.stdout().contains(spec.neighbor());
    }

    @Override
    public void kill() {
        process.kill();
    }

    @Override
    public void restart() {
        launch(true);
    }

    @Override
    public String diagnostics() {
        return "GoBGP neighbour:\n" + gobgp("neighbor", spec.neighbor()).stdout() + "\nGoBGP RIB:\n" + gobgp("global", "rib").stdout()
               + "\ngobgpd log:\n" + DaemonProcess.tail(log, 3000);
    }

    @Override
    public void close() {
        if (process != null) {
            process.stop();
        }
    }
}
