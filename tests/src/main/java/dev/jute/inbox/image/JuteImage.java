package dev.jute.inbox.image;

import dev.jute.inbox.JuteArtifacts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

/**
 * {@code ./jute image}: builds Jute's container image — the node agent on its own jlink'd runtime, the
 * jute-cni distribution its init container copies onto each node, and the few shared libraries they
 * need from this machine — as an OCI archive for {@code kind load image-archive} or
 * {@code ctr image import}. No Docker, no registry, no base image.
 *
 * <p>Layers, least to most often changing: the userland (loader, libc, libbpf and what they need),
 * the Java runtime, the agent's libraries, jute-cni, the agent jar.
 */
public final class JuteImage {

    public static final String DEFAULT_REFERENCE = "jute.dev/jute:dev";
    public static final String HOME = "/opt/jute";
    public static final String RUNTIME = HOME + "/runtime";
    public static final String AGENT_JAR = HOME + "/jute-agent.jar";
    /** The installable jute-cni distribution, the init container's {@code install-cni --from}. */
    public static final String CNI_DISTRIBUTION = HOME + "/jute-cni-dist";
    /** JNA's own native library, unpacked at build time so the agent never writes to the image at run time. */
    public static final String NATIVE = HOME + "/native";

    /** The JVM options of the agent: those of {@code ./jute agent}, plus JNA's library from {@link #NATIVE}. */
    public static final List<String> ENTRYPOINT = List.of(RUNTIME + "/bin/java", "--enable-native-access=ALL-UNNAMED",
            "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=70", "-Djna.boot.library.path=" + NATIVE, "-Djna.nounpack=true",
            "-jar", AGENT_JAR);

    private static final String USAGE = """
            usage: jute image [--output FILE] [--tag NAME:TAG]
              builds Jute's container image from the built artifacts (./jute build) as an OCI archive
              --output FILE   where to write it (default target/jute-image.tar in the repository)
              --tag NAME:TAG  the image's name (default %s, which deploy/jute.yaml uses)
            """.formatted(DEFAULT_REFERENCE);

    /** What the image is built from. */
    public record Inputs(Path agentJar, Path agentLibDir, Path cniDistribution) {
        public static Inputs fromBuild() {
            return new Inputs(JuteArtifacts.agentJar(), JuteArtifacts.agentJar().resolveSibling("lib"),
                    JuteArtifacts.cniDistribution());
        }
    }

    private JuteImage() {
    }

    public static void main(String[] args) throws Exception {
        Path output = null;
        String reference = DEFAULT_REFERENCE;
        List<String> list = Arrays.asList(args);
        try {
            for (int i = 0; i < list.size(); i++) {
                switch (list.get(i)) {
                    case "--output" -> output = Path.of(value(list, ++i));
                    case "--tag" -> reference = value(list, ++i);
                    case "-h", "--help" -> {
                        System.out.print(USAGE);
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + list.get(i) + "\n" + USAGE);
                }
            }
            ImageReference.parse(reference);
            if (output == null) {
                output = JuteArtifacts.root().resolve("target/jute-image.tar");
            }
            Files.createDirectories(output.toAbsolutePath().getParent());
            long start = System.nanoTime();
            OciImageWriter.Written image = build(Inputs.fromBuild(), output, reference);
            System.out.printf("wrote %s: %s, %s, %d MB, in %.1f s%n", output, image.reference(), image.manifest().digest(),
                    Files.size(output) >> 20, (System.nanoTime() - start) / 1e9);
            System.out.printf("load it with: kind load image-archive %s   (or: ctr -n k8s.io image import %s)%n", output, output);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("jute image: " + e.getMessage());
            System.exit(2);
        }
    }

    /** Builds the image into {@code output}. */
    public static OciImageWriter.Written build(Inputs inputs, Path output, String reference) throws IOException {
        Path work = Files.createTempDirectory(output.toAbsolutePath().getParent(), ".jute-image-");
        try {
            Path runtime = work.resolve("runtime");
            List<Path> agentLibraries = classPath(inputs.agentJar(), inputs.agentLibDir());
            List<Path> jars = new ArrayList<>(agentLibraries);
            jars.addFirst(inputs.agentJar());
            JlinkRuntime.link(JlinkRuntime.modules(jars), runtime);
            Path jnaDispatch = unpackJnaDispatch(agentLibraries, work);

            ImageTree agentLibs = new ImageTree("agent libraries");
            for (Path jar : agentLibraries) {
                agentLibs.file(HOME + "/lib/" + jar.getFileName(), jar);
            }
            agentLibs.file(NATIVE + "/libjnidispatch.so", jnaDispatch);

            List<ImageTree> layers = List.of(
                    userland(runtime, jnaDispatch),
                    new ImageTree("java runtime").tree(RUNTIME, runtime),
                    agentLibs,
                    new ImageTree("jute-cni distribution").tree(CNI_DISTRIBUTION, inputs.cniDistribution()),
                    new ImageTree("agent").file(AGENT_JAR, inputs.agentJar()));
            String version = version(inputs.agentJar());
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("org.opencontainers.image.title", "jute");
            labels.put("org.opencontainers.image.description",
                    "Jute node agent and jute-cni (Kubernetes network plugin); see deploy/jute.yaml");
            labels.put("org.opencontainers.image.version", version);
            labels.put("dev.jute.cni-distribution", CNI_DISTRIBUTION);
            OciImageWriter.RunConfig run = new OciImageWriter.RunConfig(ENTRYPOINT, List.of("agent"),
                    List.of("PATH=" + RUNTIME + "/bin", "JAVA_HOME=" + RUNTIME, "LANG=C.UTF-8"), "/", labels);
            return OciImageWriter.write(output, reference, architecture(), run, layers, buildTime(), work);
        } finally {
            deleteTree(work);
        }
    }

    /**
     * The loader, libc and what the runtime, JNA and libbpf (the BPF dataplane) link against, copied from
     * this machine; and the few files a Java process and the kubelet's probes expect in any root.
     */
    private static ImageTree userland(Path runtime, Path jnaDispatch) throws IOException {
        List<Path> elf = new ArrayList<>(SharedLibraries.elfFilesUnder(runtime));
        elf.add(jnaDispatch);
        elf.add(SharedLibraries.find("libbpf.so.1", "libbpf1"));
        Set<Path> libraries = new TreeSet<>(SharedLibraries.needed(elf, runtime));
        libraries.add(SharedLibraries.find("libbpf.so.1", "libbpf1"));
        ImageTree tree = new ImageTree("userland: loader, libc, libbpf");
        for (Path library : libraries) {
            tree.hostFile(library);
        }
        // jute-cni's own runtime runs on the node, not in the image: its needs are the node's business.
        tree.directory("tmp", 01777)
                .directory("root", 0700)
                .directory("run", 0755)
                .directory("var/lib", 0755)
                .file("etc/passwd", 0644, "root:x:0:0:root:/root:/nonexistent\nnobody:x:65534:65534:nobody:/nonexistent:/nonexistent\n"
                        .getBytes(StandardCharsets.UTF_8))
                .file("etc/group", 0644, "root:x:0:\nnogroup:x:65534:\n".getBytes(StandardCharsets.UTF_8))
                .file("etc/nsswitch.conf", 0644, "hosts: files dns\npasswd: files\ngroup: files\n".getBytes(StandardCharsets.UTF_8));
        return tree;
    }

    /** The jars of the agent jar's manifest Class-Path, from the build's lib folder: exactly those, no stale leftovers. */
    static List<Path> classPath(Path agentJar, Path libDir) throws IOException {
        String classPath;
        try (JarFile jar = new JarFile(agentJar.toFile())) {
            classPath = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
        }
        if (classPath == null) {
            throw new IllegalStateException(agentJar + " has no Class-Path in its manifest");
        }
        List<Path> jars = new ArrayList<>();
        for (String entry : classPath.trim().split("\\s+")) {
            if (!entry.startsWith("lib/")) {
                throw new IllegalStateException(agentJar + ": class path entry " + entry + " is not under lib/");
            }
            Path jar = libDir.resolve(entry.substring("lib/".length()));
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: build first (./jute build)");
            }
            jars.add(jar);
        }
        return jars;
    }

    private static Path unpackJnaDispatch(List<Path> agentLibraries, Path work) throws IOException {
        String platform = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "linux-x86-64";
            case "aarch64" -> "linux-aarch64";
            default -> throw new IllegalStateException("no JNA platform for architecture " + System.getProperty("os.arch"));
        };
        String entryName = "com/sun/jna/" + platform + "/libjnidispatch.so";
        for (Path jar : agentLibraries) {
            if (!jar.getFileName().toString().startsWith("jna-")) {
                continue;
            }
            try (JarFile jna = new JarFile(jar.toFile())) {
                ZipEntry entry = jna.getEntry(entryName);
                if (entry == null) {
                    throw new IllegalStateException(jar + " has no " + entryName);
                }
                Path target = work.resolve("libjnidispatch.so");
                try (InputStream in = jna.getInputStream(entry)) {
                    Files.copy(in, target);
                }
                return target;
            }
        }
        throw new IllegalStateException("no jna-*.jar on the agent's class path");
    }

    private static String version(Path agentJar) throws IOException {
        try (JarFile jar = new JarFile(agentJar.toFile())) {
            String v = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
            return v == null ? "dev" : v;
        }
    }

    /** The image's platform: the build machine's, since the userland is copied from it. */
    static String architecture() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> throw new IllegalStateException("unsupported architecture " + System.getProperty("os.arch"));
        };
    }

    /** SOURCE_DATE_EPOCH when set (reproducible-builds.org), else the epoch: the same inputs give the same image. */
    static Instant buildTime() {
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        if (epoch == null || epoch.isBlank()) {
            return Instant.EPOCH;
        }
        try {
            return Instant.ofEpochSecond(Long.parseLong(epoch.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SOURCE_DATE_EPOCH must be seconds since the epoch, not '" + epoch + "'");
        }
    }

    private static String value(List<String> args, int i) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(args.get(i - 1) + " needs a value\n" + USAGE);
        }
        return args.get(i);
    }

    private static void deleteTree(Path root) {
        try {
            if (!Files.exists(root)) {
                return;
            }
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean up " + root, e);
        }
    }
}
