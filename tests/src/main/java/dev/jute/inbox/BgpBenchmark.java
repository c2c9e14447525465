package dev.jute.inbox;

import dev.jute.inbox.bgp.BgpLab;
import dev.jute.inbox.bgp.PeerDaemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./jute bench bgp [prefixes]}: a full table (100,000 IPv4 prefixes by default) from one BIRD
 * sender to two receivers at once: a Jute agent and a BIRD 2 daemon, each in its own namespace. Both are
 * timed from the sender's start until their kernel tables hold every prefix; printed beside each other,
 * with their ratio and the agent's memory. Nothing here touches the root namespace.
 */
public final class BgpBenchmark {

    private static final Duration LIMIT = Duration.ofMinutes(5);

    private BgpBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int prefixes = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        if (prefixes < 1 || prefixes > 1_000_000) {
            throw new IllegalArgumentException("prefixes must be 1..1000000");
        }
        if (!Netns.available()) {
            throw new IllegalStateException("the BGP benchmark creates network namespaces: run it as root");
        }
        String missing = PeerDaemon.missing("bird");
        if (missing != null) {
            throw new IllegalStateException("the BGP benchmark needs BIRD 2: " + missing);
        }
        BgpLab.cleanLeftovers();
        try (BgpLab lab = BgpLab.create(50)) {
            Netns sender = lab.peer();            // 172.31.50.2, next to Jute (172.31.50.1)
            Netns bird = lab.extraNamespace("bird");
            sender.exec("ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", bird.name()).check();
            sender.exec("ip", "addr", "add", "172.31.51.2/24", "dev", "eth1").check();
            sender.exec("ip", "link", "set", "eth1", "up").check();
            bird.exec("ip", "addr", "add", "172.31.51.1/24", "dev", "eth0").check();
            bird.exec("ip", "link", "set", "eth0", "up").check();

            Path dir = lab.work();
            Path receiverDir = Files.createDirectories(dir.resolve("bird-receiver"));
            Files.writeString(receiverDir.resolve("bird.conf"), """
                    router id 172.31.51.1;
                    protocol device { scan time 10; }
                    protocol kernel { ipv4 { import none; export all; }; learn off; }
                    protocol bgp sender {
                      local 172.31.51.1 as 64513;
                      neighbor 172.31.51.2 as 65001;
                      direct;
                      connect delay time 1;
                      ipv4 { import all; export none; };
                    }
                    """);
            Process receiver = new ProcessBuilder(bird.prefix("bird", "-f", "-c", receiverDir.resolve("bird.conf").toString(),
                    "-s", receiverDir.resolve("bird.ctl").toString(), "-P", receiverDir.resolve("bird.pid").toString()))
                    .redirectErrorStream(true).redirectOutput(receiverDir.resolve("bird.log").toFile()).start();
            AgentProcess jute = lab.startJute(List.of("--bgp-peer", "172.31.50.2,65001"));

            Path senderDir = Files.createDirectories(dir.resolve("bird-sender"));
            writeSenderConfig(senderDir, prefixes);
            System.out.printf(Locale.ROOT, "BGP full table: %,d IPv4 prefixes from BIRD to Jute and to BIRD 2 at once%n", prefixes);
            long start = System.nanoTime();
            Process senderProcess = new ProcessBuilder(sender.prefix("bird", "-f", "-c", senderDir.resolve("bird.conf").toString(),
                    "-s", senderDir.resolve("bird.ctl").toString(), "-P", senderDir.resolve("bird.pid").toString()))
                    .redirectErrorStream(true).redirectOutput(senderDir.resolve("bird.log").toFile()).start();
            try {
                long juteNanos = -1;
                long birdNanos = -1;
                long peakRss = 0;
                while ((juteNanos < 0 || birdNanos < 0) && System.nanoTime() - start < LIMIT.toNanos()) {
                    Thread.sleep(200);
                    for (Process p : List.of(senderProcess, receiver)) {
                        if (!p.isAlive()) {
                            Path log = (p == senderProcess ? senderDir : receiverDir).resolve("bird.log");
                            throw new IllegalStateException("BIRD exited " + p.exitValue() + ": " + Files.readString(log));
                        }
                    }
                    long now = System.nanoTime() - start;
                    if (juteNanos < 0 && count(lab.node(), "74") >= prefixes) {
                        juteNanos = System.nanoTime() - start;
                    }
                    if (birdNanos < 0 && count(bird, "bird") >= prefixes) {
                        birdNanos = System.nanoTime() - start;
                    }
                    peakRss = Math.max(peakRss, rssKb(jute.pid()));
                    if (now > 0 && (now / 1_000_000_000L) % 10 == 0 && now % 1_000_000_000L < 200_000_000L) {
                        System.out.printf(Locale.ROOT, "  %3ds: jute %,d, bird %,d routes%n", now / 1_000_000_000L,
                                count(lab.node(), "74"), count(bird, "bird"));
                    }
                }
                if (juteNanos < 0 || birdNanos < 0) {
                    System.out.println("did not converge within " + LIMIT + ": jute " + count(lab.node(), "74") + ", bird "
                                       + count(bird, "bird") + "\nagent log:\n" + tail(jute.log()));
                    System.exit(1);
                }
                String heap = heap(jute.pid());
                System.out.printf(Locale.ROOT, "%-22s %8.2f s%n", "Jute agent", juteNanos / 1e9);
                System.out.printf(Locale.ROOT, "%-22s %8.2f s%n", "BIRD 2 (reference)", birdNanos / 1e9);
                System.out.printf(Locale.ROOT, "%-22s %8.2f (target: at most 2)%n", "ratio Jute/BIRD", (double) juteNanos / birdNanos);
                System.out.printf(Locale.ROOT, "%-22s %,8d KiB peak during the run, %,d KiB now%n", "Jute agent RSS", peakRss, rssKb(jute.pid()));
                System.out.printf(Locale.ROOT, "%-22s %s%n", "Jute agent heap", heap);
            } finally {
                senderProcess.destroy();
                receiver.destroy();
                senderProcess.waitFor();
                receiver.waitFor();
            }
        }
    }

    private static void writeSenderConfig(Path dir, int prefixes) throws IOException {
        StringBuilder routes = new StringBuilder(prefixes * 32);
        for (int i = 0; i < prefixes; i++) {
            routes.append("route ").append(20 + i / 65536).append('.').append((i / 256) % 256).append('.').append(i % 256)
                    .append(".0/24 blackhole;\n");
        }
        Files.writeString(dir.resolve("routes.conf"), routes);
        Files.writeString(dir.resolve("bird.conf"), """
                router id 172.31.50.2;
                protocol device { scan time 10; }
                protocol static fulltable {
                  ipv4;
                  include "%s";
                }
                template bgp receiver {
                  local as 65001;
                  direct;
                  connect delay time 1;
                  ipv4 { import none; export where proto = "fulltable"; next hop self; };
                }
                protocol bgp jute from receiver { neighbor 172.31.50.1 as 64512; }
                protocol bgp reference from receiver { neighbor 172.31.51.1 as 64513; }
                """.formatted(dir.resolve("routes.conf")));
    }

    /** Routes of protocol {@code proto} in the namespace's main table, counted without copying the table here. */
    private static int count(Netns ns, String proto) {
        Command.Result r = Command.run("sh", "-c", "ip -n " + ns.name() + " route show proto " + proto + " | wc -l");
        return Integer.parseInt(r.stdout().strip());
    }

    private static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Heap in use now and what is live after a full GC, from the agent's JVM (jcmd, the JDK's own tool). */
    private static String heap(long pid) {
        Path jcmd = JuteArtifacts.java().resolveSibling("jcmd");
        String before = used(Command.run(jcmd.toString(), Long.toString(pid), "GC.heap_info").stdout());
        Command.run(jcmd.toString(), Long.toString(pid), "GC.run");
        String after = used(Command.run(jcmd.toString(), Long.toString(pid), "GC.heap_info").stdout());
        return "used " + before + ", live after full GC " + after + " (-Xmx256m)";
    }

    /** Sums the generations' "used" figures (Serial GC: young and tenured). */
    private static String used(String heapInfo) {
        var m = java.util.regex.Pattern.compile("generation +total \\d+K, used (\\d+)K").matcher(heapInfo);
        long used = 0;
        boolean found = false;
        while (m.find()) {
            used += Long.parseLong(m.group(1));
            found = true;
        }
        return found ? String.format(Locale.ROOT, "%,d KiB", used)
                : "unknown (" + heapInfo.strip().lines().findFirst().orElse("no answer") + ")";
    }

    private static String tail(String text) {
        return text.substring(Math.max(0, text.length() - 3000));
    }
}
