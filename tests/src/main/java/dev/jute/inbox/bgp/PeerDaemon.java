package dev.jute.inbox.bgp;

import dev.jute.inbox.Netns;

import java.nio.file.Path;
import java.util.List;

/**
 * A real BGP daemon (BIRD 2, FRR or GoBGP) in a network namespace of its own, peering with one Jute
 * node: started, fed prefixes, asked what it learned, killed and restarted like an operator would.
 */
public interface PeerDaemon extends AutoCloseable {

    /**
     * How the daemon is configured.
     *
     * @param routerId      also its own address on the link to Jute
     * @param neighbor      Jute's address
     * @param password      TCP MD5 key, or null
     * @param announced     prefixes in its configuration from the start (BIRD's static routes; GoBGP gets them
     *                      through its CLI after start)
     */
    record Spec(Netns netns, Path workDir, String routerId, long as, String neighbor, long neighborAs, String password,
                List<String> announced) {
        public boolean internal() {
            return as == neighborAs;
        }
    }

    /** Which daemon, for messages and test names. */
    String name();

    Spec spec();

    /** Starts it; returns at once (sessions come up in the background). */
    void start();

    /** Whether the session with Jute is Established, from the daemon's own point of view. */
    boolean established();

    /** Announces {@code prefix} to Jute (next hop: itself); while killed, only its configuration changes. */
    void announce(String prefix);

    void withdraw(String prefix);

    /** Whether the daemon holds a route to {@code prefix} learned from Jute (its kernel table or its RIB). */
    boolean learned(String prefix);

    /** SIGKILL: no NOTIFICATION, the TCP session just ends (a crash). */
    void kill();

    /** Starts it again after {@link #kill()}, telling peers it restarted with forwarding kept. */
    void restart();

    /** Its log and session view, for failure messages. */
    String diagnostics();

    @Override
    void close();

    /** The daemons installed on this machine, by name; missing ones are reported by {@link #missing}. */
    static PeerDaemon create(String kind, Spec spec) {
        return switch (kind) {
            case "bird" -> new BirdDaemon(spec);
            case "frr" -> new FrrDaemon(spec);
            case "gobgp" -> new GoBgpDaemon(spec);
            default -> throw new IllegalArgumentException("unknown BGP daemon " + kind);
        };
    }

    /** Why {@code kind} cannot run here, or null when it can. */
    static String missing(String kind) {
        List<String> files = switch (kind) {
            case "bird" -> List.of("/usr/sbin/bird", "/usr/sbin/birdc");
            case "frr" -> List.of("/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "/usr/bin/vtysh");
            case "gobgp" -> List.of("/usr/bin/gobgpd", "/usr/bin/gobgp");
            default -> List.of("/nonexistent/" + kind);
        };
        for (String file : files) {
            if (!java.nio.file.Files.isExecutable(Path.of(file))) {
                return file + " is missing (Debian package " + (kind.equals("bird") ? "bird2" : kind.equals("gobgp") ? "gobgpd" : "frr") + ")";
            }
        }
        return null;
    }
}
