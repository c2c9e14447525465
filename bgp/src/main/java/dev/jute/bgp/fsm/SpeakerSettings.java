package dev.jute.bgp.fsm;

import dev.jute.bgp.AddressFamily;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Speaker-wide settings every session uses.
 *
 * @param routerId BGP identifier as an unsigned 32-bit value
 * @param holdTimeSeconds hold time offered in OPEN (0 or at least 3)
 * @param connectRetry connect-retry timer (RFC 4271 §10)
 * @param idleHold delay before a failed session automatically restarts
 * @param gracefulRestartTime restart time advertised in the graceful restart capability, or {@code null} to not advertise it
 * @param restarting set the Restart State and Forwarding State bits: this speaker has just restarted and kept its routes
 */
public record SpeakerSettings(long localAs, long routerId, int holdTimeSeconds, Duration connectRetry,
                              Duration idleHold, Duration gracefulRestartTime, boolean restarting,
                              Set<AddressFamily> families) {

    public SpeakerSettings {
        if (localAs <= 0 || localAs > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("local AS " + localAs + " out of range 1..4294967295");
        }
        if (routerId == 0 || routerId > 0xFFFF_FFFFL || routerId < 0) {
            throw new IllegalArgumentException("router id must be a non-zero 32-bit value");
        }
        if (holdTimeSeconds != 0 && (holdTimeSeconds < 3 || holdTimeSeconds > 65535)) {
            throw new IllegalArgumentException("hold time must be 0 or 3..65535 seconds");
        }
        Objects.requireNonNull(connectRetry, "connectRetry");
        Objects.requireNonNull(idleHold, "idleHold");
        if (gracefulRestartTime != null && (gracefulRestartTime.toSeconds() < 1 || gracefulRestartTime.toSeconds() > 4095)) {
            throw new IllegalArgumentException("graceful restart time must be 1..4095 seconds");
        }
        families = Set.copyOf(families);
        if (families.isEmpty()) {
            throw new IllegalArgumentException("at least one address family");
        }
    }
}
