package dev.jute.dataplane;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds one netlink request: the {@code nlmsghdr}, the family header ({@code ifinfomsg},
 * {@code rtmsg}, ...) written field by field, then attributes ({@code rtattr}/{@code nlattr}),
 * each padded to 4 bytes. Everything is in native byte order, as the kernel expects on the
 * rtnetlink socket. The length and the sequence number are filled in by {@link #toBytes(int, int)},
 * which {@link NetlinkSocket} calls when it sends the request.
 */
public final class NetlinkMessageBuilder {

    private final int type;
    private final int flags;
    private ByteBuffer buffer = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());

    /**
     * Starts a message. {@code flags} are the operation's own flags ({@code NLM_F_CREATE},
     * {@code NLM_F_EXCL}, {@code NLM_F_REPLACE}...); the socket adds {@code NLM_F_REQUEST} and
     * {@code NLM_F_ACK} or {@code NLM_F_DUMP} according to how the request is sent.
     */
    public NetlinkMessageBuilder(int type, int flags) {
        this.type = type;
        this.flags = flags;
        buffer.position(NetlinkConstants.NLMSG_HDRLEN);
    }

    public int type() {
        return type;
    }

    public int flags() {
        return flags;
    }

    /** Appends one byte of the fixed family header. */
    public NetlinkMessageBuilder u8(int value) {
        ensure(1).put((byte) value);
        return this;
    }

    public NetlinkMessageBuilder u16(int value) {
        ensure(2).putShort((short) value);
        return this;
    }

    public NetlinkMessageBuilder u32(int value) {
        ensure(4).putInt(value);
        return this;
    }

    public NetlinkMessageBuilder attribute(int attributeType, byte[] value) {
        int length = NetlinkConstants.NLA_HDRLEN + value.length;
        ensure(NetlinkConstants.align(length));
        buffer.putShort((short) length).putShort((short) attributeType).put(value);
        pad();
        return this;
    }

    public NetlinkMessageBuilder attributeU8(int attributeType, int value) {
        return attribute(attributeType, new byte[]{(byte) value});
    }

    public NetlinkMessageBuilder attributeU32(int attributeType, int value) {
        byte[] bytes = new byte[4];
        ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putInt(value);
        return attribute(attributeType, bytes);
    }

    /** A NUL-terminated string attribute, as the kernel's {@code NLA_STRING}/{@code NLA_NUL_STRING} policies accept. */
    public NetlinkMessageBuilder attributeString(int attributeType, String value) {
        byte[] text = value.getBytes(StandardCharsets.UTF_8);
        byte[] terminated = new byte[text.length + 1];
        System.arraycopy(text, 0, terminated, 0, text.length);
        return attribute(attributeType, terminated);
    }

    /**
     * Opens a nested attribute; everything appended until {@link #endNested(int)} with the returned
     * token goes inside it.
     */
    public int beginNested(int attributeType) {
        ensure(NetlinkConstants.NLA_HDRLEN);
        int start = buffer.position();
        buffer.putShort((short) 0).putShort((short) (attributeType | NetlinkConstants.NLA_F_NESTED));
        return start;
    }

    public NetlinkMessageBuilder endNested(int start) {
        buffer.putShort(start, (short) (buffer.position() - start));
        return this;
    }

    /** The finished message with the given sequence number and extra flags; the builder can be sent again. */
    public byte[] toBytes(int sequence, int extraFlags) {
        int length = buffer.position();
        buffer.putInt(0, length)
                .putShort(4, (short) type)
                .putShort(6, (short) (flags | extraFlags))
                .putInt(8, sequence)
                .putInt(12, 0);
        byte[] message = new byte[length];
        buffer.get(0, message);
        return message;
    }

    private void pad() {
        while ((buffer.position() & 3) != 0) {
            buffer.put((byte) 0);
        }
    }

    private ByteBuffer ensure(int bytes) {
        if (buffer.remaining() < bytes) {
            ByteBuffer larger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes))
                    .order(ByteOrder.nativeOrder());
            buffer.flip();
            larger.put(buffer);
            buffer = larger;
        }
        if (buffer.position() + bytes > 0xffff) {
            // nlattr lengths are 16 bits; rtnetlink requests never come close.
            throw new IllegalStateException("netlink message too large");
        }
        return buffer;
    }
}
