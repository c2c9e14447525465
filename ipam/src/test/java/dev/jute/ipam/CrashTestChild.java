package dev.jute.ipam;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * The process {@link CrashSafetyTest} kills: allocates and releases in a tight loop against a file
 * store, and reports on stdout, flushed, before it starts and after it finishes each operation:
 *
 * <pre>
 * READY
 * ALLOCATING id          ALLOCATED id addr addr
 * RELEASING id           RELEASED id
 * </pre>
 *
 * Arguments: store directory, a prefix for this run's container IDs, a random seed.
 */
public final class CrashTestChild {
    static final List<IpPrefix> POOLS = List.of(IpPrefix.parse("10.0.0.0/26"), IpPrefix.parse("fd00::/122"));
    /** Stays well below the smaller pool's 61 addresses, so allocations never fail for lack of space. */
    static final int MAX_LIVE = 40;

    private CrashTestChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String run = args[1];
        Random random = new Random(Long.parseLong(args[2]));
        // Unbuffered: every line is one write(2) straight into the file the parent reads.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        try (Ipam ipam = Ipam.open(POOLS, List.of(), FileIpamStore.open(dir))) {
            List<AllocationKey> live = new ArrayList<>(ipam.allocations().stream().map(Allocation::key).distinct().toList());
            report(out, "READY");
            for (long n = 0; ; n++) {
                boolean allocate = live.size() < 10 || (live.size() < MAX_LIVE && random.nextBoolean());
                if (allocate) {
                    AllocationKey key = new AllocationKey(run + "-" + n, "eth0");
                    report(out, "ALLOCATING " + key.containerId());
                    List<Allocation> allocations = ipam.allocate(key, "/var/run/netns/" + key.containerId());
                    live.add(key);
                    report(out, "ALLOCATED " + key.containerId() + " " + allocations.stream()
                            .map(a -> IpAddresses.format(a.address())).collect(Collectors.joining(" ")));
                } else {
                    AllocationKey key = live.remove(random.nextInt(live.size()));
                    report(out, "RELEASING " + key.containerId());
                    ipam.release(key);
                    report(out, "RELEASED " + key.containerId());
                }
            }
        }
    }

    private static void report(PrintStream out, String line) {
        out.print(line + "\n");
        out.flush();
    }
}
