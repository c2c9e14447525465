package dev.jute.bgp.transport;

import dev.jute.bgp.message.BgpDecodeException;
import dev.jute.bgp.message.BgpMessage;
import dev.jute.bgp.message.MessageDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Splits the TCP stream into whole BGP messages ({@code byte[]}). The header is validated as soon
 * as it arrives, so a bad length cannot make us buffer garbage; after a header error the error is
 * passed on once and the rest of the stream is discarded, since framing is lost.
 */
final class BgpFrameDecoder extends ByteToMessageDecoder {
    private final byte[] header = new byte[BgpMessage.HEADER_LENGTH];
    private boolean broken;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!broken && in.readableBytes() >= BgpMessage.HEADER_LENGTH) {
            in.getBytes(in.readerIndex(), header);
            int length;
            try {
                length = MessageDecoder.checkHeader(header, 0);
            } catch (BgpDecodeException e) {
                broken = true;
                out.add(e);
                break;
            }
            if (in.readableBytes() < length) {
                return;
            }
            byte[] message = new byte[length];
            in.readBytes(message);
            out.add(message);
        }
        if (broken) {
            in.skipBytes(in.readableBytes());
        }
    }
}
