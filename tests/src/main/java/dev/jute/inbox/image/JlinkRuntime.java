package dev.jute.inbox.image;

import dev.jute.inbox.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;

/**
 * The agent's own Java runtime: jlink'd from the JDK running the build, with the modules jdeps finds
 * the agent and its libraries using plus those nothing names statically.
 */
public final class JlinkRuntime {

    /**
     * Modules the agent needs whether or not jdeps names them: jdk.unsupported (sun.misc.Unsafe for JNA,
     * Netty and Jackson, often reached reflectively), jdk.httpserver (/healthz, /readyz, /metrics),
     * java.net.http (fabric8's JDK HTTP client, found by service loading), jdk.net (extended socket
     * options). No jdk.crypto.ec: elliptic curves, which TLS to the API server needs, live in java.base
     * since JDK 22.
     */
    public static final Set<String> ALWAYS = Set.of("java.base", "java.net.http", "jdk.httpserver", "jdk.net",
            "jdk.unsupported");

    /**
     * Modules jdeps reports that the agent never reaches, and why they stay out. java.desktop: only
     * optional java.beans and java.awt uses in Jackson, JNA and SnakeYAML, each guarded by the library;
     * it would pull libawt and with it X11 and ALSA into the image.
     */
    public static final Map<String, String> EXCLUDED = Map.of("java.desktop",
            "only optional java.beans/java.awt uses in Jackson, JNA and SnakeYAML; it drags X11 and ALSA along");

    private JlinkRuntime() {
    }

    /** The modules the jars use, as {@code jdeps --print-module-deps} computes them, minus {@link #EXCLUDED}, plus {@link #ALWAYS}. */
    public static Set<String> modules(Collection<Path> jars) {
        List<String> args = new ArrayList<>(List.of("--print-module-deps", "--ignore-missing-deps",
                "--multi-release", Integer.toString(Runtime.version().feature())));
        jars.forEach(jar -> args.add(jar.toString()));
        String out = run("jdeps", args);
        List<String> lines = out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (lines.isEmpty() || !lines.getLast().matches("[a-zA-Z0-9_.,]+")) {
            throw new IllegalStateException("unexpected jdeps output:\n" + out);
        }
        Set<String> modules = new TreeSet<>(Arrays.asList(lines.getLast().split(",")));
        modules.removeAll(EXCLUDED.keySet());
        modules.addAll(ALWAYS);
        return modules;
    }

    /**
     * Links a runtime with {@code modules} into {@code output}, which must not exist yet, and checks that
     * no module they require brought an {@link #EXCLUDED} one back in.
     */
    public static void link(Set<String> modules, Path output) throws IOException {
        // A jlink process of its own, not ToolProvider: in a JVM that has already run other code, jlink's
        // output differs from run to run (measured: lib/modules of two in-process links differ), and
        // the image must not.
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        if (!Files.isExecutable(jlink)) {
            throw new IllegalStateException(jlink + " is missing: build the image on a full JDK (JAVA_HOME), not a runtime");
        }
        Command.run(List.of(jlink.toString(), "--add-modules", String.join(",", new TreeSet<>(modules)), "--strip-debug",
                "--no-header-files", "--no-man-pages", "--output", output.toString()), null, Map.of(), Duration.ofMinutes(10))
                .check();
        Set<String> linked = linkedModules(output);
        for (String excluded : EXCLUDED.keySet()) {
            if (linked.contains(excluded)) {
                throw new IllegalStateException("the runtime got " + excluded + " after all, required by one of " + modules);
            }
        }
    }

    /** The modules of a runtime image, from the MODULES line of its {@code release} file. */
    public static Set<String> linkedModules(Path runtime) throws IOException {
        for (String line : Files.readAllLines(runtime.resolve("release"))) {
            if (line.startsWith("MODULES=")) {
                return new TreeSet<>(Arrays.asList(line.substring("MODULES=".length()).replace("\"", "").strip().split("\\s+")));
            }
        }
        throw new IllegalStateException(runtime + "/release has no MODULES line");
    }

    private static String run(String tool, List<String> args) {
        ToolProvider provider = ToolProvider.findFirst(tool).orElseThrow(() -> new IllegalStateException(
                tool + " is not available: run the image build on a full JDK (JAVA_HOME), not a runtime image"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = provider.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        if (exit != 0) {
            throw new IllegalStateException(tool + " " + String.join(" ", args) + " exited " + exit + ":\n" + err + out);
        }
        return out.toString();
    }
}
