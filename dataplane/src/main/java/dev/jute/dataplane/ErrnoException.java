package dev.jute.dataplane;

/**
 * A kernel call failed with {@code errno}. Unchecked, because every caller of the dataplane is
 * either prepared to roll back on any failure or to report it; those that care about a particular
 * cause test {@link #errno()} against {@link Errno}.
 */
public class ErrnoException extends RuntimeException {

    private final int errno;

    public ErrnoException(String operation, int errno) {
        this(operation, errno, null);
    }

    protected ErrnoException(String operation, int errno, String detail) {
        super(operation + ": " + LibC.describe(errno) + " (errno " + errno + ")"
              + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    public boolean is(int expectedErrno) {
        return errno == expectedErrno;
    }
}
