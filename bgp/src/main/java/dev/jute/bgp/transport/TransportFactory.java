package dev.jute.bgp.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ThreadFactory;

/**
 * The Netty transport the speaker runs on. TCP MD5 signatures (RFC 2385) need a native transport,
 * so the choice is a seam: epoll when its native library loads, NIO otherwise.
 */
public interface TransportFactory {
    String name();

    EventLoopGroup newEventLoopGroup(int threads, ThreadFactory threadFactory);

    Class<? extends ServerChannel> serverChannelClass();

    Class<? extends Channel> channelClass();

    boolean supportsMd5();

    /** Sets the MD5 key for an outgoing connection before it connects. */
    void configureClientMd5(Bootstrap bootstrap, InetAddress peer, byte[] key);

    /** Replaces the listener's MD5 keys (passive peers); accepted sockets inherit them. */
    void setListenerMd5(ServerChannel listener, Map<InetAddress, byte[]> keys);

    /** Epoll if its native library is usable here, else NIO. */
    static TransportFactory automatic() {
        if (EpollTransportFactory.available()) {
            return new EpollTransportFactory();
        }
        return new NioTransportFactory();
    }
}
