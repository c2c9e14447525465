package dev.jute.dataplane.bpf;

import com.sun.jna.Memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * A loaded BPF program of a {@link BpfObject}; its descriptor belongs to the object and is valid
 * until the object is closed.
 */
public final class BpfProgram {

    /** {@code sizeof(struct __sk_buff)} on Linux 5.16+; its {@code ifindex} is at offset 40. */
    private static final int SK_BUFF_SIZE = 192;
    private static final int SK_BUFF_IFINDEX = 40;
    /** {@code struct bpf_test_run_opts} (libbpf 1.1, LP64). */
    private static final int TEST_RUN_OPTS_SIZE = 80;

    private final String name;
    private final int fd;
    private final int id;
    private volatile boolean valid = true;

    BpfProgram(String name, int fd) {
        if (fd < 0) {
            throw new BpfException("program " + name + " has no descriptor", -fd);
        }
        this.name = name;
        this.fd = fd;
        byte[] info = new byte[64];
        int[] length = {info.length};
        BpfException.check(Libbpf.bpf_obj_get_info_by_fd(fd, info, length), "read program info of " + name);
        // struct bpf_prog_info: 0 type, 4 id
        this.id = ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
    }

    public String name() {
        return name;
    }

    public int fd() {
        if (!valid) {
            throw new IllegalStateException("program " + name + " belongs to a closed BPF object");
        }
        return fd;
    }

    /** The kernel's id of the program (what {@code bpftool prog show} and tc queries report). */
    public int id() {
        return id;
    }

    void invalidate() {
        valid = false;
    }

    /** Pins the program at {@code path} on a BPF filesystem, replacing an earlier pin there. */
    public void pin(Path path) {
        try {
            java.nio.file.Files.deleteIfExists(path);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot replace pin " + path + ": " + e.getMessage(), e);
        }
        BpfException.check(Libbpf.bpf_obj_pin(fd(), path.toString()), "pin program " + name + " at " + path);
    }

    /** The outcome of {@link #testRun}. */
    public record TestRunResult(int returnValue, long averageNanos, byte[] packetOut) {
        public TestRunResult {
            packetOut = packetOut.clone();
        }

        @Override
        public byte[] packetOut() {
            return packetOut.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof TestRunResult r && r.returnValue == returnValue && r.averageNanos == averageNanos
                   && Arrays.equals(r.packetOut, packetOut);
        }

        @Override
        public int hashCode() {
            return Objects.hash(returnValue, averageNanos, Arrays.hashCode(packetOut));
        }

        @Override
        public String toString() {
            return "TestRunResult[return " + returnValue + ", " + averageNanos + " ns, " + packetOut.length + " bytes out]";
        }
    }

    /**
     * Runs a tc program on a crafted packet with {@code BPF_PROG_TEST_RUN}.
     *
     * @param frame   an Ethernet frame
     * @param ifindex the interface the skb appears on ({@code skb->ifindex}); it must exist in the
     *                calling thread's network namespace (0 or 1: the loopback)
     * @param repeat  how many times the kernel runs it; the result has the average time per run
     */
    public TestRunResult testRun(byte[] frame, int ifindex, int repeat) {
        Objects.requireNonNull(frame, "frame");
        if (repeat < 1) {
            throw new IllegalArgumentException("repeat must be at least 1");
        }
        Memory in = new Memory(frame.length);
        in.write(0, frame, 0, frame.length);
        int outSize = frame.length + 256;
        Memory out = new Memory(outSize);
        Memory context = new Memory(SK_BUFF_SIZE);
        context.clear();
        context.setInt(SK_BUFF_IFINDEX, ifindex);

        Memory options = new Memory(TEST_RUN_OPTS_SIZE);
        options.clear();
        options.setLong(0, TEST_RUN_OPTS_SIZE);
        options.setPointer(8, in);            // data_in
        options.setPointer(16, out);          // data_out
        options.setInt(24, frame.length);     // data_size_in
        options.setInt(28, outSize);          // data_size_out
        options.setPointer(32, context);      // ctx_in
        options.setInt(48, SK_BUFF_SIZE);     // ctx_size_in
        options.setInt(60, repeat);           // repeat
        BpfException.check(Libbpf.bpf_prog_test_run_opts(fd(), options), "test run of program " + name);
        int returnValue = options.getInt(56);
        long duration = Integer.toUnsignedLong(options.getInt(64));
        int produced = options.getInt(28);
        return new TestRunResult(returnValue, duration, out.getByteArray(0, Math.min(produced, outSize)));
    }

    @Override
    public String toString() {
        return "BpfProgram[" + name + " id " + id + "]";
    }
}
