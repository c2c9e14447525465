package dev.jute.policy;

/** A policy direction, always seen from the pod the policy selects. */
public enum Direction {
    /** Traffic arriving at the selected pod. */
    INGRESS("Ingress"),
    /** Traffic leaving the selected pod. */
    EGRESS("Egress");

    private final String apiName;

    Direction(String apiName) {
        this.apiName = apiName;
    }

    /** The spelling used in {@code spec.policyTypes}. */
    public String apiName() {
        return apiName;
    }
}
