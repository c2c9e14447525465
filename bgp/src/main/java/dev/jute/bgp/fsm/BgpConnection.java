package dev.jute.bgp.fsm;

import dev.jute.bgp.message.BgpMessage;

import java.net.InetSocketAddress;

/** One TCP connection carrying a BGP session attempt, as the FSM sees it. */
public interface BgpConnection {
    /** True when this side opened the connection. */
    boolean outbound();

    InetSocketAddress localAddress();

    InetSocketAddress remoteAddress();

    void send(BgpMessage message);

    /** Switches the codec to 2- or 4-octet AS numbers once OPENs are exchanged. */
    void useFourOctetAs(boolean fourOctetAs);

    /** Sends the message, then closes once it is written. */
    void sendAndClose(BgpMessage message);

    void close();
}
