package dev.jute.bgp.message;

/**
 * ROUTE-REFRESH (RFC 2918). {@code subtype} is the octet RFC 2918 calls reserved and RFC 7313
 * (enhanced route refresh) uses: 0 request, 1 begin-of-RR, 2 end-of-RR.
 */
public record RouteRefreshMessage(int afi, int subtype, int safi) implements BgpMessage {
    @Override
    public int type() {
        return TYPE_ROUTE_REFRESH;
    }
}
