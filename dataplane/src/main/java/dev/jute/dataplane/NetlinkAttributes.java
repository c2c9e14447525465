package dev.jute.dataplane;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Attributes of a received netlink message, indexed by type (flag bits stripped). A malformed
 * attribute (length shorter than its header or running past the message) ends parsing with an
 * exception instead of reading garbage.
 */
public final class NetlinkAttributes {

    private final Map<Integer, ByteBuffer> byType;

    private NetlinkAttributes(Map<Integer, ByteBuffer> byType) {
        this.byType = byType;
    }

    /** Parses the attributes in {@code buffer[from, to)}; {@code buffer}'s position and limit are not changed. */
    public static NetlinkAttributes parse(ByteBuffer buffer, int from, int to) {
        Map<Integer, ByteBuffer> byType = new HashMap<>();
        int offset = from;
        while (offset + NetlinkConstants.NLA_HDRLEN <= to) {
            int length = Short.toUnsignedInt(buffer.getShort(offset));
            int type = Short.toUnsignedInt(buffer.getShort(offset + 2)) & NetlinkConstants.NLA_TYPE_MASK;
            if (length < NetlinkConstants.NLA_HDRLEN || offset + length > to) {
                throw new IllegalArgumentException("malformed netlink attribute type " + type + " length " + length
                                                   + " at offset " + offset + " (attributes end at " + to + ")");
            }
            ByteBuffer value = buffer.slice(offset + NetlinkConstants.NLA_HDRLEN, length - NetlinkConstants.NLA_HDRLEN)
                    .order(ByteOrder.nativeOrder());
            byType.put(type, value);
            offset += NetlinkConstants.align(length);
        }
        return new NetlinkAttributes(byType);
    }

    public boolean has(int type) {
        return byType.containsKey(type);
    }

    public Optional<ByteBuffer> value(int type) {
        ByteBuffer value = byType.get(type);
        return value == null ? Optional.empty() : Optional.of(value.duplicate().order(ByteOrder.nativeOrder()));
    }

    public Optional<byte[]> bytes(int type) {
        return value(type).map(v -> {
            byte[] bytes = new byte[v.remaining()];
            v.get(bytes);
            return bytes;
        });
    }

    public Optional<Integer> u8(int type) {
        return fixed(type, 1).map(v -> Byte.toUnsignedInt(v.get(0)));
    }

    public Optional<Integer> u16(int type) {
        return fixed(type, 2).map(v -> Short.toUnsignedInt(v.getShort(0)));
    }

    /** A 32-bit value; unsigned values above {@code Integer.MAX_VALUE} come back negative, as in C. */
    public Optional<Integer> u32(int type) {
        return fixed(type, 4).map(v -> v.getInt(0));
    }

    /** A string attribute, without its terminating NUL (if any). */
    public Optional<String> string(int type) {
        return bytes(type).map(bytes -> {
            int end = 0;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            return new String(bytes, 0, end, StandardCharsets.UTF_8);
        });
    }

    public Optional<NetlinkAttributes> nested(int type) {
        return value(type).map(v -> parse(v, 0, v.limit()));
    }

    private Optional<ByteBuffer> fixed(int type, int size) {
        return value(type).map(v -> {
            if (v.remaining() < size) {
                throw new IllegalArgumentException("netlink attribute " + type + " has " + v.remaining()
                                                   + " bytes, expected " + size);
            }
            return v;
        });
    }
}
