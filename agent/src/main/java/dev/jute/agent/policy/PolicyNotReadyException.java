package dev.jute.agent.policy;

/**
 * A pod cannot get its policy yet because the agent has not converged with the cluster state; the
 * runtime should retry the ADD (CNI error 11, "try again later").
 */
public final class PolicyNotReadyException extends IllegalStateException {

    public PolicyNotReadyException(String message) {
        super(message);
    }
}
