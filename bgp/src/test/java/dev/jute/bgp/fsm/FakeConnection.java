package dev.jute.bgp.fsm;

import dev.jute.bgp.message.BgpMessage;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Records what the FSM sends instead of writing to a socket. */
public final class FakeConnection implements BgpConnection {
    public final List<BgpMessage> sent = new ArrayList<>();
    private final boolean outbound;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    public boolean closed;
    public Boolean fourOctetAs;

    public FakeConnection(boolean outbound, InetSocketAddress local, InetSocketAddress remote) {
        this.outbound = outbound;
        this.local = local;
        this.remote = remote;
    }

    @Override
    public boolean outbound() {
        return outbound;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public void send(BgpMessage message) {
        if (closed) {
            throw new AssertionError("send after close: " + message);
        }
        sent.add(message);
    }

    @Override
    public void useFourOctetAs(boolean four) {
        this.fourOctetAs = four;
    }

    @Override
    public void sendAndClose(BgpMessage message) {
        send(message);
        closed = true;
    }

    @Override
    public void close() {
        closed = true;
    }

    public BgpMessage last() {
        return sent.get(sent.size() - 1);
    }

    public <T extends BgpMessage> List<T> sentOf(Class<T> type) {
        return sent.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
