package dev.jute.cni;

/**
 * Error codes of CNI error results. Codes 1-99 are reserved by the CNI specification (1.1.0,
 * "Well-known Error Codes"); 100 and above are Jute's own, documented here so that operators can
 * look them up; 999 is the code libcni itself uses for otherwise unclassified failures.
 */
public enum CniErrorCode {
    INCOMPATIBLE_CNI_VERSION(1, "Incompatible CNI version"),
    UNSUPPORTED_FIELD(2, "Unsupported field in network configuration"),
    UNKNOWN_CONTAINER(3, "Container unknown or does not exist"),
    INVALID_ENVIRONMENT_VARIABLES(4, "Invalid necessary environment variables"),
    IO_FAILURE(5, "I/O failure"),
    DECODING_FAILURE(6, "Failed to decode content"),
    INVALID_NETWORK_CONFIG(7, "Invalid network config"),
    TRY_AGAIN_LATER(11, "Try again later"),
    PLUGIN_NOT_AVAILABLE(50, "The plugin is not available"),
    PLUGIN_NOT_AVAILABLE_LIMITED_CONNECTIVITY(51,
            "The plugin is not available, and existing containers in the network may have limited connectivity"),

    // ---- Jute-specific (>= 100)
    /** CHECK: the container interface is missing or differs from prevResult (name, MAC, MTU, state). */
    INTERFACE_STATE_MISMATCH(100, "Interface state mismatch"),
    /** CHECK: an address listed in prevResult is not configured on the interface. */
    ADDRESS_STATE_MISMATCH(101, "Address state mismatch"),
    /** CHECK: a route listed in prevResult is missing from the container. */
    ROUTE_STATE_MISMATCH(102, "Route state mismatch"),
    /** ADD: the node's pod CIDR has no free address left. */
    ADDRESS_POOL_EXHAUSTED(110, "Address pool exhausted"),
    /** ADD/CHECK: CNI_NETNS does not name a usable network namespace. */
    NETNS_UNAVAILABLE(120, "Network namespace not found or not usable"),
    /** ADD: the interface or its addresses/routes could not be created in the container. */
    INTERFACE_SETUP_FAILED(121, "Container interface setup failed"),
    /** ADD: the endpoint could not be programmed into the eBPF dataplane. */
    DATAPLANE_PROGRAMMING_FAILED(130, "Dataplane programming failed"),
    /** Anything unexpected: a bug or an unclassified failure. */
    INTERNAL_ERROR(999, "Internal error");

    private final int code;
    private final String meaning;

    CniErrorCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The numeric code written into the error result. */
    public int code() {
        return code;
    }

    /** What the code means (the spec's wording for well-known codes). */
    public String meaning() {
        return meaning;
    }

    /** True for codes defined by the CNI specification rather than by Jute. */
    public boolean isWellKnown() {
        return code < 100;
    }

    /** The constant for a numeric code, or null if Jute does not define it. */
    public static CniErrorCode ofCode(int code) {
        for (CniErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }
}
