package dev.jute.dataplane;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

class NetlinkAttributesTest {

    @Test
    void rejectsAttributeRunningPastTheEnd() {
        ByteBuffer buffer = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        buffer.putShort(0, (short) 12).putShort(2, (short) 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetlinkAttributes.parse(buffer, 0, 8));
        assertTrue(e.getMessage().contains("malformed"), e.getMessage());
    }

    @Test
    void rejectsAttributeShorterThanItsHeader() {
        ByteBuffer buffer = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        buffer.putShort(0, (short) 2).putShort(2, (short) 1);
        assertThrows(IllegalArgumentException.class, () -> NetlinkAttributes.parse(buffer, 0, 8));
    }

    @Test
    void stripsFlagBitsFromTypesAndToleratesMissingTerminator() {
        ByteBuffer buffer = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        buffer.putShort(0, (short) 7).putShort(2, (short) (0x4000 | 3)).put(4, (byte) 'a').put(5, (byte) 'b').put(6, (byte) 'c');
        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, 0, 8);
        assertEquals("abc", attributes.string(3).orElseThrow());
        assertFalse(attributes.has(0x4003));
    }

    @Test
    void shortFixedSizeValueIsAnError() {
        ByteBuffer buffer = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        buffer.putShort(0, (short) 6).putShort(2, (short) 4);
        NetlinkAttributes attributes = NetlinkAttributes.parse(buffer, 0, 8);
        assertEquals(0, attributes.u16(4).orElseThrow());
        assertThrows(IllegalArgumentException.class, () -> attributes.u32(4));
        assertTrue(attributes.u32(5).isEmpty());
    }
}
