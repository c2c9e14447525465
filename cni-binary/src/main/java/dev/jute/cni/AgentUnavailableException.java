package dev.jute.cni;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The agent cannot be reached at all: its socket file is missing or nobody accepts connections
 * on it (the agent is not running, or is restarting). Distinct from failures during an exchange.
 */
public final class AgentUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path socket;

    public AgentUnavailableException(Path socket, String reason, Throwable cause) {
        super("the Jute agent is not available at " + socket + ": " + reason, cause);
        this.socket = socket;
    }

    /** The socket that was tried. */
    public Path socket() {
        return socket;
    }
}
