package dev.jute.policy;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown when a NetworkPolicy cannot be translated; carries every problem found, not just the first. */
public final class InvalidPolicyException extends IllegalArgumentException {

    private final transient List<ValidationProblem> problems;

    public InvalidPolicyException(String policy, List<ValidationProblem> problems) {
        super("NetworkPolicy " + policy + " is invalid: "
                + problems.stream().map(ValidationProblem::toString).collect(Collectors.joining("; ")));
        this.problems = List.copyOf(problems);
    }

    public List<ValidationProblem> problems() {
        return problems;
    }
}
