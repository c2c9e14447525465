package dev.jute.cni;

/**
 * Malformed JSON text, or a value that cannot be written as JSON.
 * For parse errors {@link #position()} is the offset (in chars) where the problem was found;
 * for write errors it is -1.
 */
public final class JsonException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int position;

    public JsonException(String message, int position) {
        super(message);
        this.position = position;
    }

    /** Offset in the parsed text where the error was detected, or -1 when not parsing. */
    public int position() {
        return position;
    }
}
