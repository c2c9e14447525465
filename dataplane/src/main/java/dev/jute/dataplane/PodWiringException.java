package dev.jute.dataplane;

/** Pod wiring cannot proceed for a reason the caller should report as is (a name already taken, a missing netns...). */
public final class PodWiringException extends RuntimeException {
    public PodWiringException(String message) {
        super(message);
    }

    public PodWiringException(String message, Throwable cause) {
        super(message, cause);
    }
}
