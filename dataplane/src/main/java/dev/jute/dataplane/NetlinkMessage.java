package dev.jute.dataplane;

import java.nio.ByteBuffer;

/**
 * One message received from the kernel. {@code payload} starts right after the {@code nlmsghdr}
 * (at the family header) and is in native byte order.
 */
public record NetlinkMessage(int type, int flags, int sequence, int portId, ByteBuffer payload) {

    /** Attributes that follow a family header of {@code headerLength} bytes. */
    public NetlinkAttributes attributesAfter(int headerLength) {
        return NetlinkAttributes.parse(payload, headerLength, payload.limit());
    }
}
