package dev.jute.inbox;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the build put Jute's artifacts: the agent jar and the installable jute-cni distribution. */
public final class JuteArtifacts {

    private JuteArtifacts() {
    }

    /** The repository root: the {@code jute.root} system property, else the nearest folder with {@code jute}. */
    public static Path root() {
        String property = System.getProperty("jute.root");
        if (property != null && Files.isRegularFile(Path.of(property, "jute"))) {
            return Path.of(property).toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("jute")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the Jute repository root; set -Djute.root");
    }

    public static Path agentJar() {
        return require(root().resolve("agent/target/jute-agent.jar"));
    }

    /** The jute-cni launcher inside the built distribution (runtime, jar and AOT cache beside it). */
    public static Path cniLauncher() {
        return require(root().resolve("cni-binary/target/jute-cni-dist/jute-cni"));
    }

    public static Path cniDistribution() {
        return cniLauncher().getParent();
    }

    /** The netpol truth-table cases shipped beside the repository. */
    public static Path conformanceCases() {
        return root().resolve("../shared/conformance/netpol").normalize();
    }

    public static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    private static Path require(Path path) {
        if (!Files.exists(path)) {
            throw new IllegalStateException(path + " is missing: build first (./jute build)");
        }
        return path;
    }
}
