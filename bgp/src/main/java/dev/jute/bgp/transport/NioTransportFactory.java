package dev.jute.bgp.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ThreadFactory;

/** Portable Java NIO transport; cannot sign segments with TCP MD5. */
public final class NioTransportFactory implements TransportFactory {
    @Override
    public String name() {
        return "nio";
    }

    @Override
    public EventLoopGroup newEventLoopGroup(int threads, ThreadFactory threadFactory) {
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, NioIoHandler.newFactory());
    }

    @Override
    public Class<? extends ServerChannel> serverChannelClass() {
        return NioServerSocketChannel.class;
    }

    @Override
    public Class<? extends Channel> channelClass() {
        return NioSocketChannel.class;
    }

    @Override
    public boolean supportsMd5() {
        return false;
    }

    @Override
    public void configureClientMd5(Bootstrap bootstrap, InetAddress peer, byte[] key) {
        throw new UnsupportedOperationException("TCP MD5 needs the epoll transport");
    }

    @Override
    public void setListenerMd5(ServerChannel listener, Map<InetAddress, byte[]> keys) {
        if (!keys.isEmpty()) {
            throw new UnsupportedOperationException("TCP MD5 needs the epoll transport");
        }
    }
}
