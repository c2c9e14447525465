package dev.jute.dataplane;

/**
 * The kernel rejected a netlink request ({@code NLMSG_ERROR} with a negative error). Carries the
 * errno so callers can tell {@link Errno#EEXIST}, {@link Errno#ENOENT}, {@link Errno#ENODEV}...
 * apart, and the kernel's extended-ACK message when it sent one (e.g. "Invalid prefix for given
 * prefix length").
 */
public final class NetlinkException extends ErrnoException {

    private final String kernelMessage;

    public NetlinkException(String request, int errno, String kernelMessage) {
        super(request, errno, kernelMessage);
        this.kernelMessage = kernelMessage == null ? "" : kernelMessage;
    }

    /** The extended-ACK text from the kernel, or an empty string. */
    public String kernelMessage() {
        return kernelMessage;
    }
}
