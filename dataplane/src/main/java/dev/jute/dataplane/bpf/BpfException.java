package dev.jute.dataplane.bpf;

import dev.jute.dataplane.ErrnoException;

/**
 * A BPF syscall or libbpf call failed. Carries the kernel's {@code errno} and, for program loads,
 * the tail of the verifier log, which is the only place the kernel explains a rejection.
 */
public final class BpfException extends ErrnoException {

    public BpfException(String operation, int errno) {
        super(operation, errno);
    }

    public BpfException(String operation, int errno, String detail) {
        super(operation, errno, detail);
    }

    /** Throws for a libbpf {@code int} result below zero (libbpf 1.x returns {@code -errno}). */
    static int check(int result, String operation) {
        if (result < 0) {
            throw new BpfException(operation, -result);
        }
        return result;
    }
}
