package dev.jute.bgp.message;

/** One BGP-4 message (RFC 4271 §4). */
public sealed interface BgpMessage
        permits OpenMessage, UpdateMessage, NotificationMessage, KeepaliveMessage, RouteRefreshMessage {

    int TYPE_OPEN = 1;
    int TYPE_UPDATE = 2;
    int TYPE_NOTIFICATION = 3;
    int TYPE_KEEPALIVE = 4;
    int TYPE_ROUTE_REFRESH = 5;

    /** Fixed header: 16-octet marker, 2-octet length, 1-octet type. */
    int HEADER_LENGTH = 19;
    int MAX_LENGTH = 4096;

    int type();
}
