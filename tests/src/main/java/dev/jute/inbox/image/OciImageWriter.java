package dev.jute.inbox.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * Writes an image as an OCI image layout in one tar archive — {@code oci-layout}, {@code index.json}
 * and content-addressed blobs (gzip'd layers, the config, the manifest) — without a registry or a
 * container engine. {@code ctr image import} and {@code kind load image-archive} read it; a Docker
 * {@code manifest.json} beside the layout lets {@code docker load} read it too. Every byte is
 * determined by the layers' files, the config and the build time given.
 */
public final class OciImageWriter {

    public static final String INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json";
    public static final String MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
    public static final String CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json";
    public static final String LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
    /** The annotation containerd names an imported image by. */
    public static final String CONTAINERD_NAME = "io.containerd.image.name";
    public static final String REF_NAME = "org.opencontainers.image.ref.name";

    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, false);

    /** How a container of the image starts. */
    public record RunConfig(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir,
                            Map<String, String> labels) {
        public RunConfig {
            entrypoint = List.copyOf(entrypoint);
            cmd = List.copyOf(cmd);
            env = List.copyOf(env);
            labels = new TreeMap<>(labels);
        }
    }

    /** A blob as an OCI descriptor names it. */
    public record Descriptor(String mediaType, String digest, long size) {
    }

    /** What was written: the manifest's descriptor (its digest is the image's identity) and each layer's. */
    public record Written(Path archive, String reference, Descriptor manifest, Descriptor config, List<Descriptor> layers,
                          List<String> diffIds) {
    }

    private OciImageWriter() {
    }

    /**
     * Writes the image {@code reference} ("jute.dev/jute:dev") to {@code archive}.
     *
     * @param workDir scratch space for the compressed layers (a few hundred MB at most)
     * @param created the image's creation time, also every file's modification time
     */
    public static Written write(Path archive, String reference, String architecture, RunConfig run, List<ImageTree> layers,
                                Instant created, Path workDir) throws IOException {
        ImageReference.parse(reference);
        Map<String, Path> blobFiles = new TreeMap<>();
        List<Descriptor> layerDescriptors = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Path tmp = workDir.resolve("layer-" + i + ".tar.gz");
            MessageDigest compressed = sha256();
            MessageDigest uncompressed = sha256();
            try (OutputStream file = Files.newOutputStream(tmp);
                 DigestOutputStream compressedDigest = new DigestOutputStream(new BufferedOutputStream(file, 1 << 16), compressed);
                 GZIPOutputStream gzip = new GZIPOutputStream(compressedDigest, 1 << 16);
                 DigestOutputStream plain = new DigestOutputStream(gzip, uncompressed);
                 TarArchiveWriter tar = new TarArchiveWriter(new BufferedOutputStream(plain, 1 << 16), created.getEpochSecond())) {
                layers.get(i).writeTo(tar);
            }
            String compressedHex = hex(compressed); // MessageDigest.digest() resets: read it once
            String digest = "sha256:" + compressedHex;
            Path blob = workDir.resolve("blob-" + compressedHex);
            Files.move(tmp, blob, StandardCopyOption.REPLACE_EXISTING);
            blobFiles.put(digest, blob);
            layerDescriptors.add(new Descriptor(LAYER_MEDIA_TYPE, digest, Files.size(blob)));
            diffIds.add("sha256:" + hex(uncompressed));
        }

        Map<String, Object> containerConfig = new LinkedHashMap<>();
        containerConfig.put("Entrypoint", run.entrypoint());
        containerConfig.put("Cmd", run.cmd());
        containerConfig.put("Env", run.env());
        containerConfig.put("WorkingDir", run.workingDir());
        containerConfig.put("Labels", run.labels());
        List<Map<String, Object>> history = new ArrayList<>();
        for (ImageTree layer : layers) {
            history.add(ordered("created", created.toString(), "created_by", "jute image: " + layer.name()));
        }
        Map<String, Object> config = ordered("created", created.toString(), "architecture", architecture, "os", "linux",
                "config", containerConfig, "rootfs", ordered("type", "layers", "diff_ids", diffIds), "history", history);
        byte[] configBytes = JSON.writeValueAsBytes(config);
        Descriptor configDescriptor = new Descriptor(CONFIG_MEDIA_TYPE, digest(configBytes), configBytes.length);

        Map<String, Object> manifest = ordered("schemaVersion", 2, "mediaType", MANIFEST_MEDIA_TYPE,
                "config", descriptor(configDescriptor),
                "layers", layerDescriptors.stream().map(OciImageWriter::descriptor).toList(),
                "annotations", ordered("org.opencontainers.image.created", created.toString()));
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        Descriptor manifestDescriptor = new Descriptor(MANIFEST_MEDIA_TYPE, digest(manifestBytes), manifestBytes.length);

        ImageReference ref = ImageReference.parse(reference);
        Map<String, Object> indexEntry = descriptor(manifestDescriptor);
        indexEntry.put("platform", ordered("architecture", architecture, "os", "linux"));
        indexEntry.put("annotations", ordered(CONTAINERD_NAME, ref.toString(), REF_NAME, ref.tag()));
        byte[] index = JSON.writeValueAsBytes(ordered("schemaVersion", 2, "mediaType", INDEX_MEDIA_TYPE,
                "manifests", List.of(indexEntry)));
        byte[] dockerManifest = JSON.writeValueAsBytes(List.of(ordered(
                "Config", "blobs/sha256/" + hexOf(configDescriptor.digest()),
                "RepoTags", List.of(ref.dockerTag()),
                "Layers", layerDescriptors.stream().map(d -> "blobs/sha256/" + hexOf(d.digest())).toList())));

        Path partial = archive.resolveSibling(archive.getFileName() + ".partial");
        try (TarArchiveWriter tar = new TarArchiveWriter(new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16),
                created.getEpochSecond())) {
            tar.directory("blobs", 0755);
            tar.directory("blobs/sha256", 0755);
            Map<String, Object> blobs = new TreeMap<>();
            blobFiles.forEach(blobs::put);
            blobs.put(configDescriptor.digest(), configBytes);
            blobs.put(manifestDescriptor.digest(), manifestBytes);
            for (Map.Entry<String, Object> blob : blobs.entrySet()) {
                String name = "blobs/sha256/" + hexOf(blob.getKey());
                if (blob.getValue() instanceof Path file) {
                    try (InputStream in = Files.newInputStream(file)) {
                        tar.file(name, 0644, Files.size(file), in);
                    }
                } else {
                    byte[] bytes = (byte[]) blob.getValue();
                    tar.file(name, 0644, bytes.length, new ByteArrayInputStream(bytes));
                }
            }
            tar.file("index.json", 0644, index.length, new ByteArrayInputStream(index));
            tar.file("manifest.json", 0644, dockerManifest.length, new ByteArrayInputStream(dockerManifest));
            byte[] layout = "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            tar.file("oci-layout", 0644, layout.length, new ByteArrayInputStream(layout));
        }
        Files.move(partial, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        for (Path blob : blobFiles.values()) {
            Files.deleteIfExists(blob);
        }
        return new Written(archive, ref.toString(), manifestDescriptor, configDescriptor, List.copyOf(layerDescriptors),
                List.copyOf(diffIds));
    }

    static String digest(byte[] bytes) {
        MessageDigest md = sha256();
        md.update(bytes);
        return "sha256:" + hex(md);
    }

    private static Map<String, Object> descriptor(Descriptor d) {
        return ordered("mediaType", d.mediaType(), "digest", d.digest(), "size", d.size());
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    private static String hexOf(String digest) {
        return digest.substring("sha256:".length());
    }

    private static String hex(MessageDigest md) {
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
