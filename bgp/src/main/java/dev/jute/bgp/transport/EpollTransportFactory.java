package dev.jute.bgp.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ThreadFactory;

/** Linux epoll transport; supports TCP MD5 through {@code TCP_MD5SIG}. */
public final class EpollTransportFactory implements TransportFactory {

    /** True when the native epoll library loaded (Linux x86_64 with the native jar present). */
    public static boolean available() {
        try {
            return Epoll.isAvailable();
        } catch (Throwable e) {
            return false; // classes or native library missing
        }
    }

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public EventLoopGroup newEventLoopGroup(int threads, ThreadFactory threadFactory) {
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, EpollIoHandler.newFactory());
    }

    @Override
    public Class<? extends ServerChannel> serverChannelClass() {
        return EpollServerSocketChannel.class;
    }

    @Override
    public Class<? extends Channel> channelClass() {
        return EpollSocketChannel.class;
    }

    @Override
    public boolean supportsMd5() {
        return true;
    }

    @Override
    public void configureClientMd5(Bootstrap bootstrap, InetAddress peer, byte[] key) {
        bootstrap.option(EpollChannelOption.TCP_MD5SIG, Map.of(peer, key));
    }

    @Override
    public void setListenerMd5(ServerChannel listener, Map<InetAddress, byte[]> keys) {
        listener.config().setOption(EpollChannelOption.TCP_MD5SIG, Map.copyOf(keys));
    }
}
