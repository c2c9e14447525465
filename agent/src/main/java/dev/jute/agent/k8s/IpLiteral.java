package dev.jute.agent.k8s;

import java.net.InetAddress;

/** Parses IP address literals from API objects, never resolving a name through DNS. */
final class IpLiteral {

    private IpLiteral() {
    }

    static InetAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty IP address");
        }
        try {
            return InetAddress.ofLiteral(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IP address literal: '" + text + "'");
        }
    }
}
