package dev.jute.agent.policy;

import dev.jute.policy.ObjectRef;
import dev.jute.policy.ValidationProblem;

import java.util.List;

/** Tells the policy's owner that a NetworkPolicy cannot be enforced (it is skipped; the others still apply). */
public interface PolicyProblemReporter {

    void invalidPolicy(ObjectRef policy, List<ValidationProblem> problems);

    /** Reports nowhere but the enforcer's own log line and metric. */
    PolicyProblemReporter NONE = (policy, problems) -> {
    };
}
