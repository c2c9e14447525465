package dev.jute.policy;

import java.util.Objects;

/**
 * One reason an object cannot be used, in the API server's style: the path of the offending field
 * and what is wrong with it, e.g. {@code spec.ingress[0].from[1].ipBlock.cidr: '10.0.0/8' is not a CIDR}.
 */
public record ValidationProblem(String field, String message) {

    public ValidationProblem {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
