package dev.jute.dataplane.bpf;

/** The kernel map types Jute creates ({@code enum bpf_map_type}); others are shown by number. */
public enum BpfMapType {
    HASH(1), ARRAY(2), PERCPU_HASH(5), PERCPU_ARRAY(6), LRU_HASH(9), LRU_PERCPU_HASH(10), LPM_TRIE(11), OTHER(-1);

    private final int kernelValue;

    BpfMapType(int kernelValue) {
        this.kernelValue = kernelValue;
    }

    public int kernelValue() {
        return kernelValue;
    }

    public static BpfMapType of(int kernelValue) {
        for (BpfMapType type : values()) {
            if (type.kernelValue == kernelValue) {
                return type;
            }
        }
        return OTHER;
    }

    /** Per-CPU maps hold one value per possible CPU; lookups return them all, each padded to 8 bytes. */
    public boolean isPerCpu() {
        return this == PERCPU_HASH || this == PERCPU_ARRAY || this == LRU_PERCPU_HASH;
    }
}
