package dev.jute.bgp.transport;

import dev.jute.bgp.PeerConfig;
import dev.jute.bgp.fsm.Connector;
import dev.jute.bgp.fsm.PeerFsm;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.Channel;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Opens a peer's outbound TCP connection on the speaker's event loop. */
public final class NettyConnector implements Connector {
    private final EventLoop loop;
    private final TransportFactory transport;
    private final Duration connectTimeout;

    public NettyConnector(EventLoop loop, TransportFactory transport, Duration connectTimeout) {
        this.loop = loop;
        this.transport = transport;
        this.connectTimeout = connectTimeout;
    }

    @Override
    public Runnable connect(PeerFsm fsm) {
        PeerConfig config = fsm.config();
        ChannelConnection[] connection = new ChannelConnection[1];
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(transport.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connection[0] = ChannelConnection.attach(ch, true);
                        connection[0].bind(fsm);
                    }
                });
        if (config.password() != null) {
            transport.configureClientMd5(b, config.remoteAddress(), config.password().getBytes(StandardCharsets.US_ASCII));
        }
        InetSocketAddress remote = new InetSocketAddress(config.remoteAddress(), config.port());
        ChannelFuture f = config.localAddress() == null ? b.connect(remote)
                : b.connect(remote, new InetSocketAddress(config.localAddress(), 0));
        boolean[] cancelled = new boolean[1];
        f.addListener((ChannelFuture done) -> {
            if (cancelled[0]) {
                done.channel().close();
                return;
            }
            if (done.isSuccess()) {
                fsm.outboundConnected(connection[0]);
            } else {
                fsm.outboundFailed(done.cause());
            }
        });
        return () -> {
            cancelled[0] = true;
            f.cancel(false);
            f.channel().close();
        };
    }
}
