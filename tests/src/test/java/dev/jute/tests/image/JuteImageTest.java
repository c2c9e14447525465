package dev.jute.tests.image;

import dev.jute.tests.ContainerdProcess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jute.inbox.Command;
import dev.jute.inbox.JuteArtifacts;
import dev.jute.inbox.image.JuteImage;
import dev.jute.inbox.image.OciImageWriter;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The image {@code ./jute image} builds, read back by other tools: GNU tar and this test check the OCI
 * layout (digests, sizes, diff_ids, determinism); a scratch containerd imports it and runs it —
 * {@code version}, the DaemonSet's own install-cni init container into a temporary "host", and the agent
 * with its BPF dataplane.
 */
class JuteImageTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REFERENCE = "jute.dev/jute-test:" + ProcessHandle.current().pid();

    @TempDir
    static Path work;
    private static OciImageWriter.Written image;
    private static Path layout;
    private static String skipReason;

    @BeforeAll
    static void buildImage() throws IOException {
        JuteImage.Inputs inputs;
        try {
            inputs = JuteImage.Inputs.fromBuild();
        } catch (IllegalStateException e) {
            skipReason = "the agent or jute-cni is not built (" + e.getMessage() + "): skipped";
            return;
        }
        if (!Command.exists("ldd") || !Command.exists("tar")) {
            skipReason = "needs ldd and GNU tar: skipped";
            return;
        }
        image = JuteImage.build(inputs, work.resolve("jute-image.tar"), REFERENCE);
        layout = Files.createDirectories(work.resolve("layout"));
        Command.run("tar", "-xf", image.archive().toString(), "-C", layout.toString()).check();
    }

    @AfterAll
    static void noLeftovers() throws IOException {
        if (image != null) {
            try (Stream<Path> list = Files.list(work)) {
                assertEquals(List.of(), list.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith(".jute-image-") || n.endsWith(".partial")).toList(), "scratch files removed");
            }
        }
    }

    @Test
    void archiveIsAValidOciLayout() throws Exception {
        assumeTrue(skipReason == null, skipReason);
        assertEquals("1.0.0", json(layout.resolve("oci-layout")).path("imageLayoutVersion").asText());
        JsonNode index = json(layout.resolve("index.json"));
        assertEquals(OciImageWriter.INDEX_MEDIA_TYPE, index.path("mediaType").asText());
        assertEquals(1, index.path("manifests").size());
        JsonNode entry = index.path("manifests").get(0);
        assertEquals(REFERENCE, entry.path("annotations").path(OciImageWriter.CONTAINERD_NAME).asText());
        assertEquals("linux", entry.path("platform").path("os").asText());

        // Every blob is named by its digest; every descriptor's size and digest match the blob.
        try (Stream<Path> blobs = Files.list(layout.resolve("blobs/sha256"))) {
            for (Path blob : blobs.toList()) {
                assertEquals(blob.getFileName().toString(), sha256(blob), "blob content matches its name");
            }
        }
        JsonNode manifest = json(checkDescriptor(entry, OciImageWriter.MANIFEST_MEDIA_TYPE));
        assertEquals(2, manifest.path("schemaVersion").asInt());
        JsonNode config = json(checkDescriptor(manifest.path("config"), OciImageWriter.CONFIG_MEDIA_TYPE));
        JsonNode layers = manifest.path("layers");
        JsonNode diffIds = config.path("rootfs").path("diff_ids");
        assertEquals(5, layers.size(), "userland, runtime, agent libraries, jute-cni, agent");
        assertEquals(layers.size(), diffIds.size(), "one diff_id per layer");
        assertEquals(layers.size(), config.path("history").size());
        List<String> listings = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Path layer = checkDescriptor(layers.get(i), OciImageWriter.LAYER_MEDIA_TYPE);
            try (InputStream in = new GZIPInputStream(Files.newInputStream(layer))) {
                assertEquals(diffIds.get(i).asText(), "sha256:" + sha256(in), "diff_id of layer " + i + " is its uncompressed digest");
            }
            String listing = Command.run("tar", "-tvz", "--numeric-owner", "--full-time", "-f", layer.toString()).check().stdout();
            List<String> names = new ArrayList<>();
            for (String line : listing.lines().toList()) {
                assertTrue(line.contains(" 0/0 "), "owned by root: " + line);
                assertTrue(line.contains(" 1970-01-01 00:00:00 "), "fixed mtime: " + line);
                String name = line.substring(line.indexOf(" 00:00:00 ") + 10).replaceFirst(" -> .*$", "").replaceFirst("/$", "");
                names.add(name);
            }
            assertEquals(names.stream().sorted().toList(), names, "layer " + i + " is sorted");
            listings.add(listing);
        }
        String all = String.join("\n", listings);
        for (String expected : List.of("-rwxr-xr-x 0/0", "opt/jute/runtime/bin/java", "opt/jute/jute-agent.jar",
                "opt/jute/native/libjnidispatch.so", "opt/jute/jute-cni-dist/jute-cni.d/jute-cni.aot",
                "lib64 -> usr/lib64", "libbpf.so.1 -> ", "libc.so.6", "drwxrwxrwt 0/0")) {
            assertTrue(all.contains(expected), "the image holds " + expected);
        }
        assertFalse(all.contains("libX11"), "no desktop libraries");
        assertTrue(all.lines().anyMatch(l -> l.startsWith("-rwxr-xr-x") && l.endsWith("opt/jute/jute-cni-dist/jute-cni")),
                "the jute-cni launcher is executable");

        JsonNode run = config.path("config");
        assertEquals(JuteImage.ENTRYPOINT, strings(run.path("Entrypoint")));
        assertEquals(List.of("agent"), strings(run.path("Cmd")));
        assertTrue(strings(run.path("Env")).contains("JAVA_HOME=" + JuteImage.RUNTIME));
        assertEquals("jute", run.path("Labels").path("org.opencontainers.image.title").asText());

        // docker load's view of the same blobs.
        JsonNode docker = json(layout.resolve("manifest.json")).get(0);
        assertEquals("blobs/sha256/" + manifest.path("config").path("digest").asText().substring(7), docker.path("Config").asText());
        assertEquals(REFERENCE, docker.path("RepoTags").get(0).asText());
        for (int i = 0; i < layers.size(); i++) {
            assertEquals("blobs/sha256/" + layers.get(i).path("digest").asText().substring(7), docker.path("Layers").get(i).asText());
        }
    }

    @Test
    void sameBuildGivesTheSameImage() throws Exception {
        assumeTrue(skipReason == null, skipReason);
        Path again = Files.createDirectories(work.resolve("again"));
        OciImageWriter.Written second = JuteImage.build(JuteImage.Inputs.fromBuild(), again.resolve("jute-image.tar"), REFERENCE);
        assertEquals(image.layers(), second.layers());
        assertEquals(image.manifest(), second.manifest());
        assertEquals(sha256(image.archive()), sha256(second.archive()), "the archives are byte for byte the same");
    }

    @Test
    void containerdRunsTheImageAndItsInitContainerInstallsJuteCni() throws Exception {
        assumeTrue(skipReason == null, skipReason);
        assumeTrue(ProcessHandle.current().info().user().map("root"::equals).orElse(false), "needs root for containerd: skipped");
        assumeTrue(ContainerdProcess.available(), "needs containerd, ctr and runc (Debian packages containerd, runc): skipped");
        Path dir = Files.createDirectories(work.resolve("containerd"));
        String id = "jute-image-" + ProcessHandle.current().pid();
        try (ContainerdProcess containerd = ContainerdProcess.start(dir, "juteimage")) {
            containerd.ctr("image", "import", image.archive().toString()).check();
            assertTrue(containerd.ctr("image", "ls", "-q").check().stdout().lines().anyMatch(REFERENCE::equals),
                    "imported under its name");

            // ctr (unlike kubelet) replaces the entrypoint with the arguments: give the whole command line.
            Command.Result version = containerd.ctr(runCommand(List.of("run", "--rm", REFERENCE, id + "-version"), List.of("version")));
            assertEquals(0, version.exitCode(), version.stderr());
            assertTrue(version.stdout().startsWith("jute "), version.stdout());

            // The DaemonSet's init container, its hostPath volumes pointing into a temporary host.
            Path host = Files.createDirectories(work.resolve("host"));
            DaemonSet daemonSet = DeployManifestsTest.documents(JuteArtifacts.root().resolve("deploy/jute.yaml")).stream()
                    .filter(DaemonSet.class::isInstance).map(DaemonSet.class::cast).findFirst().orElseThrow();
            PodSpec pod = daemonSet.getSpec().getTemplate().getSpec();
            Container init = pod.getInitContainers().stream().filter(c -> c.getName().equals("install-cni")).findFirst().orElseThrow();
            List<String> run = new ArrayList<>(List.of("run", "--rm"));
            for (VolumeMount mount : init.getVolumeMounts()) {
                Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
                Path source = Files.createDirectories(host.resolve(volume.getHostPath().getPath().substring(1)));
                run.addAll(List.of("--mount", "type=bind,src=" + source + ",dst=" + mount.getMountPath() + ",options=rbind:rw"));
            }
            run.addAll(List.of(REFERENCE, id + "-install"));
            Command.Result install = containerd.ctr(runCommand(run, init.getArgs()));
            assertEquals(0, install.exitCode(), install.stdout() + install.stderr());

            Path launcher = host.resolve("opt/cni/bin/jute-cni");
            assertTrue(Files.isExecutable(launcher), "jute-cni installed on the host");
            JsonNode conflist = json(host.resolve("etc/cni/net.d/10-jute.conflist"));
            assertEquals("1.0.0", conflist.path("cniVersion").asText());
            assertEquals("jute-cni", conflist.path("plugins").get(0).path("type").asText());
            assertEquals("/run/jute/cni.sock", conflist.path("plugins").get(0).path("agentSocket").asText());

            // The installed plugin runs on the host from its own folder, as containerd would run it.
            ProcessBuilder version100 = new ProcessBuilder(launcher.toString()).directory(launcher.getParent().toFile());
            version100.environment().put("CNI_COMMAND", "VERSION");
            Process cni = version100.start();
            cni.getOutputStream().write("{\"cniVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
            cni.getOutputStream().close();
            String out = new String(cni.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(cni.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(cni.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, cni.exitValue(), out + err);
            JsonNode versions = JSON.readTree(out);
            assertTrue(strings(versions.path("supportedVersions")).contains("1.0.0"), out);
            assertEquals("", err, "no JVM warnings: the runtime and its AOT cache were installed intact");
        }
    }

    /**
     * The agent itself in the image, privileged in the container's own network namespace with a fresh
     * BPF filesystem: JNA, libc and libbpf load from the image's userland and NetworkPolicy enforcement
     * comes up before the CNI server.
     */
    @Test
    void theAgentStartsWithItsBpfDataplaneInTheImage() throws Exception {
        assumeTrue(skipReason == null, skipReason);
        assumeTrue(ProcessHandle.current().info().user().map("root"::equals).orElse(false), "needs root for containerd: skipped");
        assumeTrue(ContainerdProcess.available(), "needs containerd, ctr and runc (Debian packages containerd, runc): skipped");
        Path dir = Files.createDirectories(work.resolve("containerd-agent"));
        String id = "jute-agent-" + ProcessHandle.current().pid();
        try (ContainerdProcess containerd = ContainerdProcess.start(dir, "juteimage")) {
            containerd.ctr("image", "import", image.archive().toString()).check();
            List<String> command = new ArrayList<>(containerd.ctrCommand());
            command.addAll(runCommand(List.of("run", "--rm", "--privileged", "--mount",
                    "type=bpf,src=bpf,dst=/sys/fs/bpf,options=rw", REFERENCE, id), List.of("agent", "--pod-cidr",
                    "10.251.0.0/24", "--node-name", "image-test", "--socket", "/tmp/cni.sock", "--state-dir", "/tmp/state")));
            Process agent = new ProcessBuilder(command).redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                String line;
                while (System.nanoTime() < deadline && (line = reader.readLine()) != null) {
                    lines.add(line);
                    if (line.contains("serving CNI requests")) {
                        break;
                    }
                }
                containerd.ctr("task", "kill", "-s", "SIGTERM", id);
                assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "the agent stops on SIGTERM");
            } finally {
                agent.destroyForcibly();
                containerd.ctr("task", "kill", "-s", "SIGKILL", id);
                containerd.ctr("task", "delete", id);
                containerd.ctr("container", "delete", id);
            }
            String log = String.join("\n", lines);
            assertTrue(log.contains("serving CNI requests"), log);
            assertTrue(log.contains("NetworkPolicy enforcement on"), "libbpf loaded in the image:\n" + log);
            assertFalse(log.contains("NOT enforced"), log);
        }
    }

    private static List<String> runCommand(List<String> ctrRun, List<String> args) {
        List<String> command = new ArrayList<>(ctrRun);
        command.addAll(JuteImage.ENTRYPOINT);
        command.addAll(args);
        return command;
    }

    private Path checkDescriptor(JsonNode descriptor, String mediaType) throws IOException {
        assertEquals(mediaType, descriptor.path("mediaType").asText());
        String digest = descriptor.path("digest").asText();
        assertTrue(digest.startsWith("sha256:"), digest);
        Path blob = blob(digest);
        assertTrue(Files.isRegularFile(blob), digest + " is in blobs/sha256");
        assertEquals(descriptor.path("size").asLong(), Files.size(blob), digest + " size");
        return blob;
    }

    private static Path blob(String digest) {
        return layout.resolve("blobs/sha256/" + digest.substring("sha256:".length()));
    }

    private static JsonNode json(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(n -> values.add(n.asText()));
        return values;
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256(in);
        }
    }

    private static String sha256(InputStream in) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                md.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
