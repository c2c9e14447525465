package dev.jute.policy;

import java.util.Objects;

/**
 * One entry of a rule's {@code ports}: a protocol plus all its ports, a port range (a single port
 * is a range of one), or a port name resolved on the destination pod.
 */
public sealed interface PortMatch {

    Protocol protocol();

    /**
     * Whether a connection to {@code port}/{@code protocol} on {@code destination} is matched. The
     * destination matters only for named ports: the name is looked up in the destination pod's
     * containers, and an external destination has no named ports, so it never matches one.
     */
    boolean matches(Protocol connectionProtocol, int port, Party destination);

    /** {@code protocol} given without a port: every port of that protocol. */
    record AllPorts(Protocol protocol) implements PortMatch {
        public AllPorts {
            Objects.requireNonNull(protocol, "protocol");
        }

        @Override
        public boolean matches(Protocol connectionProtocol, int port, Party destination) {
            return connectionProtocol == protocol;
        }

        @Override
        public String toString() {
            return "*/" + protocol;
        }
    }

    /** A numeric port, or {@code port..endPort}. */
    record Numbers(Protocol protocol, PortRange range) implements PortMatch {
        public Numbers {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(range, "range");
        }

        @Override
        public boolean matches(Protocol connectionProtocol, int port, Party destination) {
            return connectionProtocol == protocol && range.contains(port);
        }

        @Override
        public String toString() {
            return range + "/" + protocol;
        }
    }

    /** A container port name, resolved per destination pod for the rule's protocol. */
    record Named(Protocol protocol, String name) implements PortMatch {
        public Named {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(name, "name");
        }

        @Override
        public boolean matches(Protocol connectionProtocol, int port, Party destination) {
            return connectionProtocol == protocol && destination instanceof Endpoint pod
                    && pod.resolveNamedPort(name, protocol).orElse(-1) == port;
        }

        @Override
        public String toString() {
            return name + "/" + protocol;
        }
    }
}
