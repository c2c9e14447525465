package dev.jute.agent.bgp;

import dev.jute.agent.Log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Remembers across an agent restart that the previous agent stopped gracefully and left its BGP routes
 * in the kernel, so the new speaker may tell its peers "restarted, forwarding state preserved"
 * (RFC 4724 R and F bits) and they keep using our routes until our End-of-RIB. A marker older than the
 * graceful-restart time is worthless: the peers have dropped our routes by then.
 */
final class RestartMarker {

    private static final Log LOG = Log.of("bgp");

    private final Path file;

    RestartMarker(Path stateDir) {
        this.file = stateDir.resolve("bgp-graceful-restart");
    }

    /** Reads and removes the marker; true when a graceful stop happened within {@code restartTime}. */
    boolean consume(Duration restartTime) {
        try {
            if (!Files.exists(file)) {
                return false;
            }
            Instant stoppedAt = Instant.parse(Files.readString(file).strip());
            Files.delete(file);
            return Duration.between(stoppedAt, Instant.now()).compareTo(restartTime) < 0;
        } catch (IOException | RuntimeException e) {
            LOG.warn("ignoring unreadable graceful-restart marker", "file", file, "error", e.toString());
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the next graceful stop overwrites it
            }
            return false;
        }
    }

    /** Records a graceful stop now. */
    void write() {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, Instant.now().toString());
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("cannot record the graceful stop; peers will drop our routes at the next start", "error", e.getMessage());
        }
    }
}
