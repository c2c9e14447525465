package dev.jute.bgp.message;

/** KEEPALIVE: a header without body. */
public record KeepaliveMessage() implements BgpMessage {
    public static final KeepaliveMessage INSTANCE = new KeepaliveMessage();

    @Override
    public int type() {
        return TYPE_KEEPALIVE;
    }
}
