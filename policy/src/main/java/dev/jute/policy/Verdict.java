package dev.jute.policy;

/**
 * Whether a connection is allowed, with the reasons: traffic passes iff the source's egress allows
 * it AND the destination's ingress allows it.
 */
public record Verdict(Party source, Party destination, int port, Protocol protocol,
                      DirectionVerdict egress, DirectionVerdict ingress) {

    public boolean allowed() {
        return egress.allowed() && ingress.allowed();
    }

    /** Multi-line explanation, what {@code jute policy explain} prints. */
    public String explain() {
        return source.describe() + " -> " + destination.describe() + " " + port + "/" + protocol + ": "
                + (allowed() ? "ALLOWED" : "DENIED") + System.lineSeparator()
                + "  " + egress.explain() + System.lineSeparator()
                + "  " + ingress.explain();
    }

    @Override
    public String toString() {
        return explain();
    }
}
