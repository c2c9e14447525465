package dev.jute.dataplane;

import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;

/**
 * The few libc functions Jute's dataplane needs, bound with JNA direct mapping (static natives,
 * no proxy and no reflection per call).
 *
 * <p>Callers read {@code errno} right after a failing call with {@link #lastErrno()}; JNA saves it
 * per thread immediately after the native call returns, so JVM activity in between cannot clobber
 * it. {@link #check(int, String)} and friends turn a {@code -1} into an {@link ErrnoException} with
 * the {@code strerror} text.
 *
 * <p>Buffers are passed as {@code byte[]}: JNA copies them in and out around the call, which is
 * cheap at netlink message sizes and keeps every call free of manual memory management.
 */
public final class LibC {

    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    public static final int AF_NETLINK = 16;
    public static final int AF_INET6 = 10;

    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;

    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;

    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVTIMEO = 20;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SOL_NETLINK = 270;
    /** {@code getsockopt(SOL_SOCKET)}: the 64-bit cookie of the socket's network namespace (Linux 5.14+). */
    public static final int SO_NETNS_COOKIE = 71;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;

    /** {@code setns} namespace type for network namespaces. */
    public static final int CLONE_NEWNET = 0x40000000;

    /** {@code ioctl} on an nsfs file descriptor that returns its namespace type ({@code _IO(0xb7, 0x3)}). */
    public static final long NS_GET_NSTYPE = 0xb703L;

    static {
        Native.register(LibC.class, Platform.C_LIBRARY_NAME);
    }

    private LibC() {
    }

    public static native int socket(int domain, int type, int protocol);

    public static native int bind(int fd, byte[] address, int addressLength);

    public static native int getsockname(int fd, byte[] address, int[] addressLength);

    public static native int getpeername(int fd, byte[] address, int[] addressLength);

    public static native int connect(int fd, byte[] address, int addressLength);

    public static native int setsockopt(int fd, int level, int name, byte[] value, int valueLength);

    public static native int getsockopt(int fd, int level, int name, byte[] value, int[] valueLength);

    public static native NativeLong send(int fd, byte[] buffer, NativeLong length, int flags);

    public static native NativeLong sendto(int fd, byte[] buffer, NativeLong length, int flags,
                                           byte[] address, int addressLength);

    public static native NativeLong recv(int fd, byte[] buffer, NativeLong length, int flags);

    public static native NativeLong recvfrom(int fd, byte[] buffer, NativeLong length, int flags,
                                             byte[] address, int[] addressLength);

    public static native NativeLong read(int fd, byte[] buffer, NativeLong count);

    public static native int close(int fd);

    public static native int open(String path, int flags);

    public static native int setns(int fd, int namespaceType);

    /** Declared with a fixed third argument: on the Linux ABIs Jute runs on, that is how a variadic integer is passed. */
    public static native int ioctl(int fd, NativeLong request, NativeLong argument);

    public static native String strerror(int errno);

    /** The {@code errno} left by the last native call made on this thread. */
    public static int lastErrno() {
        return Native.getLastError();
    }

    /** Returns {@code result}, or throws an {@link ErrnoException} for {@code operation} when it is negative. */
    public static int check(int result, String operation) {
        if (result < 0) {
            throw new ErrnoException(operation, lastErrno());
        }
        return result;
    }

    /** Like {@link #check(int, String)} for {@code ssize_t} results. */
    public static long check(NativeLong result, String operation) {
        long value = result.longValue();
        if (value < 0) {
            throw new ErrnoException(operation, lastErrno());
        }
        return value;
    }

    /** {@code strerror} text, never null. */
    public static String describe(int errno) {
        String text = strerror(errno);
        return text == null ? "errno " + errno : text;
    }
}
