package dev.jute.dataplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Arrays;

/**
 * Kernel parameters under {@code /proc/sys}.
 *
 * <p><b>Which network namespace counts:</b> the {@code net.*} keys are per network namespace, and
 * procfs resolves them for the namespace of the <em>thread that opens the file</em> (not the
 * process). Reading or writing from inside {@link NetNamespace#call} therefore acts on that
 * namespace; from an ordinary thread it acts on the namespace the thread is in.
 *
 * <p>Keys use the {@code sysctl} dotted form ({@code net.ipv4.conf.eth0.forwarding}). Interface
 * names may contain dots ({@code eth0.100}), so per-interface keys are built from path segments by
 * the interface helpers instead of by splitting a dotted string.
 */
public final class Sysctl {

    private static final Path ROOT = Path.of("/proc/sys");

    private Sysctl() {
    }

    /** Reads a dotted key, e.g. {@code net.ipv4.ip_forward}; the value without its trailing newline. */
    public static String read(String key) {
        return read(pathOf(key.split("\\.")));
    }

    public static void write(String key, String value) {
        write(pathOf(key.split("\\.")), value);
    }

    /** {@code net.ipv4.conf.<interface>.forwarding}: whether IPv4 packets arriving on it are routed. */
    public static void setIpv4Forwarding(String interfaceName, boolean enabled) {
        write(interfaceKey("ipv4", interfaceName, "forwarding"), enabled ? "1" : "0");
    }

    public static boolean ipv4Forwarding(String interfaceName) {
        return "1".equals(read(interfaceKey("ipv4", interfaceName, "forwarding")));
    }

    /** {@code net.ipv6.conf.<interface>.forwarding}: makes the interface behave as a router's. */
    public static void setIpv6Forwarding(String interfaceName, boolean enabled) {
        write(interfaceKey("ipv6", interfaceName, "forwarding"), enabled ? "1" : "0");
    }

    public static boolean ipv6Forwarding(String interfaceName) {
        return "1".equals(read(interfaceKey("ipv6", interfaceName, "forwarding")));
    }

    /** Any per-interface key: {@code net.<family>.conf.<interface>.<name>}, {@code family} = ipv4 or ipv6. */
    public static Path interfaceKey(String family, String interfaceName, String name) {
        if (!family.equals("ipv4") && !family.equals("ipv6")) {
            throw new IllegalArgumentException("family must be ipv4 or ipv6: " + family);
        }
        return pathOf("net", family, "conf", InterfaceNames.requireValid(interfaceName), name);
    }

    public static boolean exists(Path key) {
        return Files.exists(key);
    }

    public static String read(Path key) {
        try {
            return Files.readString(key, StandardCharsets.UTF_8).stripTrailing();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such sysctl " + key + " (missing interface or kernel feature?)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read sysctl " + key, e);
        }
    }

    public static void write(Path key, String value) {
        try {
            // No CREATE: a missing key is an error, never a new file.
            Files.writeString(key, value + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such sysctl " + key + " (missing interface or kernel feature?)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write \"" + value + "\" to sysctl " + key, e);
        }
    }

    private static Path pathOf(String... segments) {
        if (segments.length == 0) {
            throw new IllegalArgumentException("empty sysctl key");
        }
        for (String segment : List.of(segments)) {
            // Keeps keys inside /proc/sys: no "." or "..", no "/", no empty segments.
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.indexOf('/') >= 0
                || segment.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid sysctl key segment \"" + segment + "\" in "
                                                   + String.join(".", segments));
            }
        }
        return ROOT.resolve(Path.of(segments[0], Arrays.copyOfRange(segments, 1, segments.length)));
    }
}
