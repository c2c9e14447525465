package dev.jute.dataplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The unified (v2) cgroup hierarchy, where socket-level BPF hooks attach. Pure v2 hosts mount it at
 * {@code /sys/fs/cgroup}; hybrid hosts (v1 controllers plus the unified tree) at
 * {@code /sys/fs/cgroup/unified}. A process inside {@code ip netns exec} sees a fresh {@code /sys}
 * without any cgroup mount, so the answer is read from the calling process's own mount table.
 */
public final class Cgroup2 {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
    private static final Path PREFERRED = Path.of("/sys/fs/cgroup");

    private Cgroup2() {
    }

    /** Where the whole cgroup v2 hierarchy is mounted for this process, if it is. */
    public static Optional<Path> mountRoot() {
        try {
            return mountRoot(Files.readAllLines(MOUNTINFO));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + MOUNTINFO, e);
        }
    }

    /**
     * The cgroup2 mount of the whole hierarchy among {@code mountinfo} lines (proc(5) format): only
     * mounts of the root (a bind mount of a sub-tree, as containers get, is not the root). Prefers
     * {@code /sys/fs/cgroup}, then mounts under it ({@code unified}), then the first one.
     */
    public static Optional<Path> mountRoot(List<String> mountinfo) {
        List<Path> roots = new ArrayList<>();
        for (String line : mountinfo) {
            String[] fields = line.split(" ");
            int separator = List.of(fields).indexOf("-");
            if (separator < 5 || separator + 1 >= fields.length || !fields[separator + 1].equals("cgroup2")
                || !fields[3].equals("/")) {
                continue;
            }
            roots.add(Path.of(unescape(fields[4])));
        }
        return roots.stream().filter(PREFERRED::equals).findFirst()
                .or(() -> roots.stream().filter(p -> p.startsWith(PREFERRED)).findFirst())
                .or(() -> roots.stream().findFirst());
    }

    /** mountinfo writes space, tab, newline and backslash in mount points as {@code \ooo} octal escapes. */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Whether {@code directory} exists and is a cgroup of the v2 hierarchy. */
    public static boolean isCgroup2(Path directory) {
        try {
            return Files.isDirectory(directory) && "cgroup2".equals(Files.getFileStore(directory).type());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The kernel's id of a cgroup v2 directory (what BPF link info reports as {@code cgroup_id}): on
     * cgroup2 it is the directory's inode number.
     */
    public static long id(Path cgroup) {
        try {
            return ((Number) Files.getAttribute(cgroup, "unix:ino")).longValue();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat cgroup " + cgroup, e);
        }
    }
}
