package dev.jute.bgp.transport;

import dev.jute.bgp.fsm.BgpConnection;
import dev.jute.bgp.fsm.PeerFsm;
import dev.jute.bgp.message.BgpDecodeException;
import dev.jute.bgp.message.BgpMessage;
import dev.jute.bgp.message.MessageDecoder;
import dev.jute.bgp.message.MessageEncoder;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.net.InetSocketAddress;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A Netty channel as a {@link BgpConnection}: decodes frames into messages for the FSM and
 * encodes what the FSM sends. The channel must be registered on the FSM's event loop, so FSM
 * calls happen on the right thread without hand-offs.
 */
public final class ChannelConnection extends ChannelInboundHandlerAdapter implements BgpConnection {
    private static final Logger LOG = Logger.getLogger(ChannelConnection.class.getName());

    private final Channel channel;
    private final boolean outbound;
    private PeerFsm fsm;
    private MessageDecoder decoder = new MessageDecoder(false);
    private MessageEncoder encoder = new MessageEncoder(false);
    private boolean closed;

    private ChannelConnection(Channel channel, boolean outbound) {
        this.channel = channel;
        this.outbound = outbound;
    }

    /** Installs the BGP codec on a freshly connected channel. */
    public static ChannelConnection attach(Channel channel, boolean outbound) {
        ChannelConnection c = new ChannelConnection(channel, outbound);
        channel.pipeline().addLast("bgp-frame", new BgpFrameDecoder());
        channel.pipeline().addLast("bgp-session", c);
        return c;
    }

    /** Binds the connection to its FSM; messages are only delivered after this. */
    public void bind(PeerFsm owner) {
        this.fsm = owner;
    }

    @Override
    public boolean outbound() {
        return outbound;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) channel.remoteAddress();
    }

    @Override
    public void send(BgpMessage message) {
        if (!closed) {
            channel.writeAndFlush(Unpooled.wrappedBuffer(encoder.encode(message)), channel.voidPromise());
        }
    }

    @Override
    public void useFourOctetAs(boolean fourOctetAs) {
        decoder = new MessageDecoder(fourOctetAs);
        encoder = new MessageEncoder(fourOctetAs);
    }

    @Override
    public void sendAndClose(BgpMessage message) {
        if (closed) {
            return;
        }
        closed = true;
        channel.writeAndFlush(Unpooled.wrappedBuffer(encoder.encode(message))).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void close() {
        closed = true;
        channel.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed || fsm == null) {
            return;
        }
        if (msg instanceof BgpDecodeException e) {
            fsm.decodeFailed(this, e);
            return;
        }
        BgpMessage message;
        try {
            message = decoder.decode((byte[]) msg);
        } catch (BgpDecodeException e) {
            fsm.decodeFailed(this, e);
            return;
        }
        try {
            fsm.messageReceived(this, message);
        } catch (RuntimeException e) {
            // A bug of ours must cost one session, not the speaker; a plain close would look like a
            // peer restart (RFC 4724), so say Cease explicitly.
            LOG.log(Level.SEVERE, "internal error handling BGP message from " + channel.remoteAddress(), e);
            fsm.decodeFailed(this, new BgpDecodeException(dev.jute.bgp.message.ErrorCodes.CEASE, 0,
                    "internal error: " + e));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        if (fsm != null) {
            fsm.connectionClosed(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.FINE, "BGP connection " + channel.remoteAddress() + " failed", cause);
        ctx.close();
    }
}
