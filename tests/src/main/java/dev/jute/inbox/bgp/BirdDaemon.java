package dev.jute.inbox.bgp;

import dev.jute.inbox.Command;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * BIRD 2 as a peer: its announced prefixes are blackhole static routes (an included file, changed with
 * {@code birdc configure}), the routes it learns from Jute go into its namespace's kernel table.
 */
final class BirdDaemon implements PeerDaemon {

    private final Spec spec;
    private final Path config;
    private final Path routes;
    private final Path control;
    private final Path log;
    private final List<String> announced;
    private DaemonProcess process;

    BirdDaemon(Spec spec) {
        this.spec = spec;
        this.config = spec.workDir().resolve("bird.conf");
        this.routes = spec.workDir().resolve("routes.conf");
        this.control = spec.workDir().resolve("bird.ctl");
        this.log = spec.workDir().resolve("bird.log");
        this.announced = new ArrayList<>(spec.announced());
    }

    @Override
    public String name() {
        return "BIRD";
    }

    @Override
    public Spec spec() {
        return spec;
    }

    @Override
    public void start() {
        writeRoutes();
        DaemonProcess.write(config, """
                router id %s;
                log "%s" all;
                protocol device { scan time 2; }
                protocol kernel {
                  ipv4 { import none; export where source = RTS_BGP; };
                  learn off;
                }
                protocol static announced {
                  ipv4;
                  include "%s";
                }
                protocol bgp jute {
                  local %s as %d;
                  neighbor %s as %d;
                  connect delay time 1;
                  connect retry time 2;
                  error wait time 1, 5;
                  direct;
                  graceful restart on;
                  %s
                  ipv4 { import all; export where proto = "announced"; next hop self; };
                }
                """.formatted(spec.routerId(), log, routes, spec.routerId(), spec.as(), spec.neighbor(), spec.neighborAs(),
                spec.password() == null ? "" : "password \"" + spec.password() + "\";"));
        launch(false);
    }

    private void launch(boolean recovering) {
        List<String> command = new ArrayList<>(List.of("bird", "-f", "-c", config.toString(), "-s", control.toString(),
                "-P", spec.workDir().resolve("bird.pid").toString()));
        if (recovering) {
            command.add("-R"); // graceful restart recovery: tell peers we kept forwarding
        }
        process = DaemonProcess.start(spec.netns(), spec.workDir().resolve("bird.out"), command.toArray(String[]::new));
    }

    private void writeRoutes() {
        DaemonProcess.write(routes, DaemonProcess.lines(announced.stream().map(p -> "route " + p + " blackhole;").toList()));
    }

    private Command.Result birdc(String... args) {
        List<String> command = new ArrayList<>(List.of("birdc", "-s", control.toString()));
        command.addAll(List.of(args));
        return Command.run(command);
    }

    @Override
    public boolean established() {
        return birdc("show", "protocols", "jute").stdout().contains("Established");
    }

    @Override
    public void announce(String prefix) {
        announced.add(prefix);
        reconfigure();
    }

    @Override
    public void withdraw(String prefix) {
        announced.remove(prefix);
        reconfigure();
    }

    private void reconfigure() {
        writeRoutes();
        if (process != null && process.alive()) {
            birdc("configure").check();
        }
    }

    @Override
    public boolean learned(String prefix) {
        return spec.netns().exec("ip", "route", "show", prefix).stdout().contains("proto bird");
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
        return "BIRD protocols:\n" + birdc("show", "protocols", "all", "jute").stdout() + "\nBIRD log:\n"
               + DaemonProcess.tail(log, 3000) + DaemonProcess.tail(spec.workDir().resolve("bird.out"), 1000);
    }

    @Override
    public void close() {
        if (process != null) {
            process.stop();
        }
    }
}
