package dev.jute.tests;

import dev.jute.inbox.Command;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Builds a tiny OCI image archive from Debian's static busybox, without a registry: one layer tar,
 * a config and a manifest named by their sha256 digests, an index, and the oci-layout marker —
 * what {@code ctr image import} reads.
 */
final class BusyboxOciImage {

    static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<String> APPLETS = List.of("sh", "ping", "ip", "sleep", "cat", "ifconfig", "nc");

    private BusyboxOciImage() {
    }

    /** Writes the archive to {@code workDir/busybox-oci.tar} and returns its path. */
    static Path build(Path workDir, String imageName) throws IOException {
        Path rootfs = Files.createDirectories(workDir.resolve("rootfs"));
        Path bin = Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(BUSYBOX, bin.resolve("busybox"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Files.createDirectories(rootfs.resolve("proc"));
        Files.createDirectories(rootfs.resolve("sys"));
        Files.createDirectories(rootfs.resolve("dev"));
        Files.createDirectories(rootfs.resolve("tmp"));

        Path layout = Files.createDirectories(workDir.resolve("layout"));
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        Path layerTar = workDir.resolve("layer.tar");
        Command.run("tar", "--owner=0", "--group=0", "--numeric-owner", "-C", rootfs.toString(), "-cf",
                layerTar.toString(), ".").check();
        byte[] layer = Files.readAllBytes(layerTar);
        String layerDigest = storeBlob(blobs, layer);

        String config = """
                {"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"],"Env":["PATH=/bin"]},\
                "rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}""".formatted(layerDigest);
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        String configDigest = storeBlob(blobs, configBytes);

        String manifest = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},\
                "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}"""
                .formatted(configDigest, configBytes.length, layerDigest, layer.length);
        byte[] manifestBytes = manifest.getBytes(StandardCharsets.UTF_8);
        String manifestDigest = storeBlob(blobs, manifestBytes);

        Files.writeString(layout.resolve("index.json"), """
                {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                "digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"%s",\
                "org.opencontainers.image.ref.name":"latest"}}]}""".formatted(manifestDigest, manifestBytes.length, imageName));
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");

        Path archive = workDir.resolve("busybox-oci.tar");
        Command.run("tar", "-C", layout.toString(), "-cf", archive.toString(), ".").check();
        return archive;
    }

    private static String storeBlob(Path blobs, byte[] content) throws IOException {
        String digest = sha256(content);
        Files.write(blobs.resolve(digest), content);
        return digest;
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
