package dev.jute.cni;

/**
 * One entry of GC's {@code cni.dev/valid-attachments}: an attachment the runtime still uses and
 * that GC therefore must keep.
 */
public record ValidAttachment(String containerId, String ifname) {
    public ValidAttachment {
        if (containerId == null || ifname == null) {
            throw new IllegalArgumentException("containerId and ifname are required");
        }
    }
}
