package dev.jute.cni;

/** The values of {@code CNI_COMMAND} that Jute understands (CNI 1.1.0). */
public enum CniCommand {
    ADD,
    DEL,
    CHECK,
    STATUS,
    GC,
    VERSION;

    /** The command for an exact {@code CNI_COMMAND} value, or null when unknown. */
    public static CniCommand ofName(String name) {
        if (name == null) {
            return null;
        }
        for (CniCommand c : values()) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** ADD, DEL and CHECK act on one container attachment and need its identifiers. */
    public boolean targetsContainer() {
        return this == ADD || this == DEL || this == CHECK;
    }

    /** Does this command require a network namespace path (DEL does not: it may be gone). */
    public boolean requiresNetns() {
        return this == ADD || this == CHECK;
    }

    /** The oldest CNI version whose specification defines this command. */
    public CniVersion introducedIn() {
        switch (this) {
            case CHECK:
                return CniVersion.V0_4_0;
            case STATUS:
            case GC:
                return CniVersion.V1_1_0;
            default:
                return CniVersion.V0_3_0; // the oldest version Jute supports at all
        }
    }
}
