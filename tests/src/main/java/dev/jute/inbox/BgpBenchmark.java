package dev.jute.inbox;

import dev.jute.inbox.bgp.BgpLab;
import dev.jute.inbox.bgp.PeerDaemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./jute bench bgp [prefixes]}: a full table (100,000 IPv4 prefixes by default) from one BIRD
 * sender to two receivers at once: a Jute agent and a BIRD 2 daemon, each in its own namespace. Both are
 * timed from the moment the sender releases the table (both sessions up) until their kernel tables hold every prefix; printed beside each other,
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
            Process senderProcess = new ProcessBuilder(sender.prefix("bird", "-f", "-c", senderDir.resolve("bird.conf").toString(),
                    "-s", senderDir.resolve("bird.ctl").toString(), "-P", senderDir.resolve("bird.pid").toString()))
                    .redirectErrorStream(true).redirectOutput(senderDir.resolve("bird.log").toFile()).start();
            // The table is released only when both sessions are up, so both receivers start at the same moment.
            String birdc = "birdc -s " + senderDir.resolve("bird.ctl");
            BgpLab.await("both sessions of the sender", Duration.ofSeconds(60), () -> {
                String protocols = Command.run("sh", "-c", birdc + " show protocols").stdout();
                return protocols.lines().filter(l -> l.contains("Established")).count() == 2;
            }, () -> Command.run("sh", "-c", birdc + " show protocols").stdout() + "\n" + jute.log());
            long start = System.nanoTime();
            long startMillis = System.currentTimeMillis();
            Command.run("sh", "-c", birdc + " enable fulltable").check();
            try {
                // One watcher per receiver, each polling its own table: their dumps do not delay each other.
                Watcher juteKernel = new Watcher(start, () -> count(lab.node(), "74"), prefixes);
                Watcher birdKernel = new Watcher(start, () -> count(bird, "bird"), prefixes);
                Watcher juteRib = new Watcher(start, () -> received(lab), prefixes);
                long peakRss = 0;
                long lastReport = 0;
                while (!(juteKernel.done() && birdKernel.done() && juteRib.done()) && System.nanoTime() - start < LIMIT.toNanos()) {
                    Thread.sleep(100);
                    for (Process p : List.of(senderProcess, receiver)) {
                        if (!p.isAlive()) {
                            Path log = (p == senderProcess ? senderDir : receiverDir).resolve("bird.log");
                            throw new IllegalStateException("BIRD exited " + p.exitValue() + ": " + Files.readString(log));
                        }
                    }
                    peakRss = Math.max(peakRss, rssKb(jute.pid()));
                    long seconds = (System.nanoTime() - start) / 1_000_000_000L;
                    if (seconds >= lastReport + 10) {
                        lastReport = seconds;
                        System.out.printf(Locale.ROOT, "  %3ds: jute %,d, bird %,d routes%n", seconds, juteKernel.last(), birdKernel.last());
                    }
                }
                juteKernel.close();
                birdKernel.close();
                juteRib.close();
                if (!(juteKernel.done() && birdKernel.done())) {
                    System.out.println("did not converge within " + LIMIT + ": jute " + juteKernel.last() + ", bird "
                                       + birdKernel.last() + "\nagent log:\n" + tail(jute.log()));
                    System.exit(1);
                }
                String heap = heap(jute.pid());
                System.out.printf(Locale.ROOT, "%-22s %8.2f s  (all prefixes in its BGP table after %.2f s)%n", "Jute agent",
                        juteKernel.seconds(), juteRib.seconds());
                System.out.printf(Locale.ROOT, "%-22s %8.2f s%n", "BIRD 2 (reference)", birdKernel.seconds());
                System.out.printf(Locale.ROOT, "%-22s %8.2f (target: at most 2)%n", "ratio Jute/BIRD", juteKernel.seconds() / birdKernel.seconds());
                System.out.printf(Locale.ROOT, "%-22s %,8d KiB peak during the run, %,d KiB now%n", "Jute agent RSS", peakRss, rssKb(jute.pid()));
                System.out.printf(Locale.ROOT, "%-22s %s%n", "Jute agent heap", heap);
                if (System.getenv("JUTE_BENCH_LOG") != null) {
                    System.out.println("table released at " + java.time.Instant.ofEpochMilli(startMillis) + "\n" + jute.log());
                }
                System.out.println("(times from the release of the table, polled about every 0.1-0.2 s: a dump of a full table takes that long)");
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
                  disabled;
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

    /** Polls a count on a thread of its own until it reaches the target; remembers when. */
    private static final class Watcher implements AutoCloseable {
        private final long start;
        private final java.util.function.IntSupplier count;
        private final int target;
        private final Thread thread;
        private volatile long doneNanos = -1;
        private volatile int last;
        private volatile boolean closed;

        Watcher(long start, java.util.function.IntSupplier count, int target) {
            this.start = start;
            this.count = count;
            this.target = target;
            this.thread = Thread.ofPlatform().daemon().start(this::run);
        }

        private void run() {
            while (!closed && doneNanos < 0) {
                try {
                    last = count.getAsInt();
                } catch (RuntimeException e) {
                    last = -1; // the agent may not answer yet
                }
                if (last >= target) {
                    doneNanos = System.nanoTime() - start;
                    return;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        boolean done() {
            return doneNanos >= 0;
        }

        double seconds() {
            return doneNanos / 1e9;
        }

        int last() {
            return last;
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            thread.join();
        }
    }

    /** Prefixes the agent's speaker has received from the sender (its Adj-RIB-In), from the admin endpoint. */
    @SuppressWarnings("unchecked")
    private static int received(BgpLab lab) {
        List<Map<String, Object>> peers = (List<Map<String, Object>>) lab.ask("bgp-peers").get("peers");
        return peers.isEmpty() ? 0 : ((Number) peers.getFirst().get("received")).intValue();
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
        var m = java.util.regex.Pattern.compile("(?m)^\\s*(?:\\S+ )*\\S+\\s+total \\d+K, used (\\d+)K").matcher(heapInfo);
        long used = 0;
        boolean found = false;
        while (m.find()) {
            used += Long.parseLong(m.group(1));
            found = true;
        }
        return found ? String.format(Locale.ROOT, "%,d KiB", used)
                : "unknown (jcmd: " + heapInfo.strip().replace('\n', ' ').substring(0, Math.min(300, heapInfo.strip().length())) + ")";
    }

    private static String tail(String text) {
        return text.substring(Math.max(0, text.length() - 3000));
    }
}
