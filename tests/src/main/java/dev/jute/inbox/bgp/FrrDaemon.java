package dev.jute.inbox.bgp;

import dev.jute.inbox.Command;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * FRR (zebra + bgpd) as a peer, with its configuration, pid files and sockets in the work folder instead
 * of /etc/frr and /run/frr, so it never meets a system FRR. The daemons run as the {@code frr} user (FRR
 * insists on its vty group), which therefore owns the work folder. Announced prefixes are
 * {@code network} statements; the routes learned from Jute go through zebra into the namespace's kernel.
 */
final class FrrDaemon implements PeerDaemon {

    private final Spec spec;
    private final Path dir;
    private final List<String> announced;
    private boolean bgpdRunning;

    FrrDaemon(Spec spec) {
        this.spec = spec;
        this.dir = spec.workDir();
        this.announced = new ArrayList<>(spec.announced());
    }

    @Override
    public String name() {
        return "FRR";
    }

    @Override
    public Spec spec() {
        return spec;
    }

    @Override
    public void start() {
        try {
            Files.createDirectories(dir);
            DaemonProcess.write(dir.resolve("zebra.conf"), "");
            writeConfig();
            Command.run("chown", "-R", "frr:frr", dir.toString()).check();
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        daemon("zebra", "zebra.conf");
        daemon("bgpd", "bgpd.conf");
        bgpdRunning = true;
    }

    private void daemon(String name, String config) {
        spec.netns().exec("/usr/lib/frr/" + name, "-d", "-u", "frr", "-g", "frr", "-z", dir.resolve("zserv.api").toString(),
                "-i", dir.resolve(name + ".pid").toString(), "--vty_socket", dir.toString(), "-f", dir.resolve(config).toString(),
                "-A", "127.0.0.1", "--log", "file:" + dir.resolve(name + ".log")).check();
    }

    private void writeConfig() {
        StringBuilder networks = new StringBuilder();
        for (String prefix : announced) {
            networks.append("  network ").append(prefix).append('\n');
        }
        DaemonProcess.write(dir.resolve("bgpd.conf"), """
                frr defaults datacenter
                hostname peer
                router bgp %d
                 bgp router-id %s
                 no bgp ebgp-requires-policy
                 no bgp network import-check
                 bgp graceful-restart
                 bgp graceful-restart preserve-fw-state
                 neighbor %s remote-as %d
                 neighbor %s timers connect 1
                 neighbor %s advertisement-interval 0
                %s address-family ipv4 unicast
                %s%s exit-address-family
                """.formatted(spec.as(), spec.routerId(), spec.neighbor(), spec.neighborAs(), spec.neighbor(), spec.neighbor(),
                spec.password() == null ? "" : " neighbor " + spec.neighbor() + " password " + spec.password() + "\n",
                networks, spec.internal() ? "  neighbor " + spec.neighbor() + " next-hop-self\n" : ""));
        Command.run("chown", "frr:frr", dir.resolve("bgpd.conf").toString());
    }

    private Command.Result vtysh(String... commands) {
        List<String> command = new ArrayList<>(List.of("vtysh", "--vty_socket", dir.toString()));
        for (String c : commands) {
            command.add("-c");
            command.add(c);
        }
        return Command.run(command);
    }

    @Override
    public boolean established() {
        return vtysh("show bgp neighbors " + spec.neighbor()).stdout().contains("BGP state = Established");
    }

    @Override
    public void announce(String prefix) {
        announced.add(prefix);
        writeConfig();
        if (bgpdRunning) {
            vtysh("configure terminal", "router bgp " + spec.as(), "address-family ipv4 unicast", "network " + prefix).check();
        }
    }

    @Override
    public void withdraw(String prefix) {
        announced.remove(prefix);
        writeConfig();
        if (bgpdRunning) {
            vtysh("configure terminal", "router bgp " + spec.as(), "address-family ipv4 unicast", "no network " + prefix).check();
        }
    }

    @Override
    public boolean learned(String prefix) {
        return spec.netns().exec("ip", "route", "show", prefix).stdout().contains("proto bgp");
    }

    @Override
    public void kill() {
        signal("bgpd", "-9");
        bgpdRunning = false;
    }

    private void signal(String daemon, String signal) {
        Path pidFile = dir.resolve(daemon + ".pid");
        try {
            if (Files.exists(pidFile)) {
                String pid = Files.readString(pidFile).strip();
                Command.run("kill", signal, pid);
                for (int i = 0; i < 100 && ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false); i++) {
                    Thread.sleep(50);
                }
                Files.deleteIfExists(pidFile);
            }
        } catch (IOException | NumberFormatException e) {
            // already gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void restart() {
        daemon("bgpd", "bgpd.conf");
        bgpdRunning = true;
    }

    @Override
    public String diagnostics() {
        return "FRR neighbour:\n" + vtysh("show bgp neighbors " + spec.neighbor()).stdout() + "\nFRR RIB:\n"
               + vtysh("show bgp ipv4 unicast").stdout() + "\nbgpd log:\n" + DaemonProcess.tail(dir.resolve("bgpd.log"), 3000);
    }

    @Override
    public void close() {
        signal("bgpd", "-TERM");
        signal("zebra", "-TERM");
    }
}
