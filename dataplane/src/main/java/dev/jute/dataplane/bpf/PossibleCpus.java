package dev.jute.dataplane.bpf;

/** The number of possible CPUs, the number of slots of a per-CPU map value (read once from libbpf). */
final class PossibleCpus {

    private static final int COUNT = read();

    private PossibleCpus() {
    }

    private static int read() {
        int count = Libbpf.libbpf_num_possible_cpus();
        if (count <= 0) {
            throw new BpfException("read /sys/devices/system/cpu/possible", -count);
        }
        return count;
    }

    static int count() {
        return COUNT;
    }
}
