package dev.jute.agent;

import java.time.Instant;

/**
 * The agent's structured log: one line per event on stderr, {@code time level component message key=value...}.
 * Quiet by default; {@code --debug} adds detail.
 */
public final class Log {

    private static volatile boolean debug;

    private final String component;

    private Log(String component) {
        this.component = component;
    }

    public static Log of(String component) {
        return new Log(component);
    }

    public static void enableDebug(boolean enabled) {
        debug = enabled;
    }

    public void info(String message, Object... keyValues) {
        write("INFO", message, keyValues);
    }

    public void warn(String message, Object... keyValues) {
        write("WARN", message, keyValues);
    }

    public void error(String message, Object... keyValues) {
        write("ERROR", message, keyValues);
    }

    public void debug(String message, Object... keyValues) {
        if (debug) {
            write("DEBUG", message, keyValues);
        }
    }

    public boolean debugEnabled() {
        return debug;
    }

    private void write(String level, String message, Object[] keyValues) {
        StringBuilder line = new StringBuilder(128)
                .append(Instant.now()).append(' ').append(level).append(' ').append(component).append(": ").append(message);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            line.append(' ').append(keyValues[i]).append('=');
            String value = String.valueOf(keyValues[i + 1]);
            if (value.isEmpty() || value.chars().anyMatch(c -> c == ' ' || c == '"' || c == '=')) {
                line.append('"').append(value.replace("\"", "\\\"")).append('"');
            } else {
                line.append(value);
            }
        }
        System.err.println(line);
    }
}
