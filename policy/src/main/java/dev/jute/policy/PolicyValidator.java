package dev.jute.policy;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.util.List;

/**
 * Checks a NetworkPolicy as the API server would, and more strictly where Jute must (it re-checks
 * what it enforces rather than trusting that every object came through a validating server).
 * Reports every problem with its field path; an empty list means the policy can be enforced.
 */
public final class PolicyValidator {

    private PolicyValidator() {
    }

    public static List<ValidationProblem> validate(NetworkPolicy networkPolicy) {
        return PolicyReader.read(networkPolicy).problems();
    }
}
