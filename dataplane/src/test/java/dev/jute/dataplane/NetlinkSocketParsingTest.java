package dev.jute.dataplane;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Datagram splitting and NLMSG_ERROR decoding, on crafted kernel replies. */
class NetlinkSocketParsingTest {

    @Test
    void splitsADatagramIntoAlignedMessages() {
        ByteBuffer datagram = ByteBuffer.allocate(20 + 16).order(ByteOrder.nativeOrder());
        // A 18-byte message (2 payload bytes) padded to 20, then a NLMSG_DONE.
        datagram.putInt(18).putShort((short) 16).putShort((short) 2).putInt(5).putInt(99).put((byte) 1).put((byte) 2)
                .put((byte) 0).put((byte) 0);
        datagram.putInt(16).putShort((short) NetlinkConstants.NLMSG_DONE).putShort((short) 2).putInt(5).putInt(99);
        datagram.flip();
        List<NetlinkMessage> messages = NetlinkSocket.split(datagram);
        assertEquals(2, messages.size());
        assertEquals(16, messages.get(0).type());
        assertEquals(5, messages.get(0).sequence());
        assertEquals(99, messages.get(0).portId());
        assertEquals(2, messages.get(0).payload().limit());
        assertEquals(2, messages.get(0).payload().get(1));
        assertEquals(NetlinkConstants.NLMSG_DONE, messages.get(1).type());
        assertEquals(ByteOrder.nativeOrder(), messages.get(0).payload().order());
    }

    @Test
    void rejectsMessageLongerThanTheDatagram() {
        ByteBuffer datagram = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        datagram.putInt(40).putShort((short) 16).putShort((short) 0).putInt(1).putInt(0).flip();
        assertThrows(IllegalArgumentException.class, () -> NetlinkSocket.split(datagram));
    }

    @Test
    void plainAckIsNoError() {
        ByteBuffer payload = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
        payload.putInt(0, 0);
        NetlinkMessage ack = new NetlinkMessage(NetlinkConstants.NLMSG_ERROR, NetlinkConstants.NLM_F_CAPPED, 1, 0, payload);
        assertNull(NetlinkSocket.errorOf(ack, "RTM_NEWLINK"));
    }

    @Test
    void errorCarriesErrnoAndExtendedAckMessage() {
        // error -17, echoed header (capped), then NLMSGERR_ATTR_MSG "File exists: dev".
        byte[] text = "Link already exists\0".getBytes();
        int attributeLength = 4 + text.length;
        ByteBuffer payload = ByteBuffer.allocate(4 + 16 + NetlinkConstants.align(attributeLength)).order(ByteOrder.nativeOrder());
        payload.putInt(-Errno.EEXIST);
        payload.putInt(52).putShort((short) 16).putShort((short) 0x605).putInt(3).putInt(0);
        payload.putShort((short) attributeLength).putShort((short) NetlinkConstants.NLMSGERR_ATTR_MSG).put(text);
        payload.clear();
        NetlinkMessage error = new NetlinkMessage(NetlinkConstants.NLMSG_ERROR,
                NetlinkConstants.NLM_F_CAPPED | NetlinkConstants.NLM_F_ACK_TLVS, 3, 0, payload);
        NetlinkException exception = NetlinkSocket.errorOf(error, "RTM_NEWLINK");
        assertNotNull(exception);
        assertEquals(Errno.EEXIST, exception.errno());
        assertTrue(exception.is(Errno.EEXIST));
        assertEquals("Link already exists", exception.kernelMessage());
        assertTrue(exception.getMessage().startsWith("RTM_NEWLINK: File exists (errno 17): Link already exists"),
                exception.getMessage());
    }

    @Test
    void errorWithoutCapSkipsTheWholeEchoedRequest() {
        byte[] text = "bad\0".getBytes();
        ByteBuffer payload = ByteBuffer.allocate(4 + 24 + 8).order(ByteOrder.nativeOrder());
        payload.putInt(-Errno.EINVAL);
        payload.putInt(22).putShort((short) 24).putShort((short) 5).putInt(9).putInt(0).put(new byte[8]); // 22 -> 24 aligned
        payload.putShort((short) 8).putShort((short) NetlinkConstants.NLMSGERR_ATTR_MSG).put(text);
        payload.clear();
        NetlinkException exception = NetlinkSocket.errorOf(
                new NetlinkMessage(NetlinkConstants.NLMSG_ERROR, NetlinkConstants.NLM_F_ACK_TLVS, 9, 0, payload), "RTM_NEWROUTE");
        assertEquals(Errno.EINVAL, exception.errno());
        assertEquals("bad", exception.kernelMessage());
    }
}
