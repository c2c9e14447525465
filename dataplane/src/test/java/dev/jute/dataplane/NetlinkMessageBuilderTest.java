package dev.jute.dataplane;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

class NetlinkMessageBuilderTest {

    private static ByteBuffer wrap(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    }

    @Test
    void headerCarriesLengthTypeFlagsAndSequence() {
        byte[] message = new NetlinkMessageBuilder(NetlinkConstants.RTM_NEWLINK, NetlinkConstants.NLM_F_CREATE)
                .u32(0x11223344)
                .toBytes(77, NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK);
        ByteBuffer buffer = wrap(message);
        assertEquals(20, message.length);
        assertEquals(20, buffer.getInt(0));
        assertEquals(NetlinkConstants.RTM_NEWLINK, buffer.getShort(4));
        assertEquals(NetlinkConstants.NLM_F_CREATE | NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK,
                buffer.getShort(6));
        assertEquals(77, buffer.getInt(8));
        assertEquals(0, buffer.getInt(12));
        assertEquals(0x11223344, buffer.getInt(16), "native byte order");
    }

    @Test
    void attributesArePaddedToFourBytesButLengthExcludesPadding() {
        byte[] message = new NetlinkMessageBuilder(1, 0)
                .attributeString(3, "eth0")      // 4 + 5 = 9 bytes, padded to 12
                .attributeU8(7, 0xAB)            // 4 + 1 = 5 bytes, padded to 8
                .attributeU32(4, 1500)           // 8 bytes
                .toBytes(1, 0);
        ByteBuffer buffer = wrap(message);
        assertEquals(16 + 12 + 8 + 8, message.length);
        assertEquals(9, buffer.getShort(16));
        assertEquals(3, buffer.getShort(18));
        assertEquals('e', buffer.get(20));
        assertEquals(0, buffer.get(24), "NUL terminator");
        assertEquals(5, buffer.getShort(28));
        assertEquals((byte) 0xAB, buffer.get(32));
        assertEquals(8, buffer.getShort(36));
        assertEquals(1500, buffer.getInt(40));

        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, 16, message.length);
        assertEquals("eth0", attributes.string(3).orElseThrow());
        assertEquals(0xAB, attributes.u8(7).orElseThrow());
        assertEquals(1500, attributes.u32(4).orElseThrow());
    }

    @Test
    void nestedAttributesCoverTheirChildrenAndCarryTheNestedFlag() {
        NetlinkMessageBuilder builder = new NetlinkMessageBuilder(1, 0);
        int outer = builder.beginNested(18);
        builder.attributeString(1, "veth");
        int inner = builder.beginNested(2);
        builder.attributeU32(5, 42);
        builder.endNested(inner).endNested(outer);
        byte[] message = builder.toBytes(1, 0);
        ByteBuffer buffer = wrap(message);
        assertEquals(4 + 12 + 4 + 8, buffer.getShort(16));
        assertEquals(18 | NetlinkConstants.NLA_F_NESTED, Short.toUnsignedInt(buffer.getShort(18)));

        NetlinkAttributes top = NetlinkAttributes.parse(buffer, 16, message.length);
        NetlinkAttributes linkInfo = top.nested(18).orElseThrow();
        assertEquals("veth", linkInfo.string(1).orElseThrow());
        assertEquals(42, linkInfo.nested(2).orElseThrow().u32(5).orElseThrow());
    }

    @Test
    void largeMessagesGrowTheBuffer() {
        NetlinkMessageBuilder builder = new NetlinkMessageBuilder(1, 0);
        for (int i = 0; i < 200; i++) {
            builder.attributeU32(i, i);
        }
        ByteBuffer buffer = wrap(builder.toBytes(1, 0));
        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, 16, buffer.limit());
        assertEquals(199, attributes.u32(199).orElseThrow());
        assertEquals(16 + 200 * 8, buffer.limit());
    }
}
