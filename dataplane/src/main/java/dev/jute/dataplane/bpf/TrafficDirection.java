package dev.jute.dataplane.bpf;

/**
 * A direction seen from the pod, as stored in map keys ({@code DIR_INGRESS}/{@code DIR_EGRESS} in
 * {@code lib/common.h}): ingress is traffic delivered to the pod (judged by {@code to_pod}), egress
 * is traffic the pod sends (judged by {@code from_pod}).
 */
public enum TrafficDirection {
    INGRESS(0), EGRESS(1);

    private final int code;

    TrafficDirection(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static TrafficDirection ofCode(int code) {
        return switch (code) {
            case 0 -> INGRESS;
            case 1 -> EGRESS;
            default -> throw new IllegalArgumentException("unknown direction code " + code);
        };
    }
}
