package dev.jute.inbox.cluster;

import java.time.Instant;

/** The in-box cluster's own log lines on stderr (the agents log to their files). Quiet unless verbose. */
final class HarnessLog {

    private static volatile boolean verbose = System.getenv("JUTE_CLUSTER_VERBOSE") != null;

    private HarnessLog() {
    }

    static void verbose(boolean on) {
        verbose = on;
    }

    static void info(String component, String message) {
        if (verbose) {
            System.err.println(Instant.now() + " " + component + ": " + message);
        }
    }

    static void warn(String component, String message) {
        System.err.println(Instant.now() + " WARN " + component + ": " + message);
    }
}
