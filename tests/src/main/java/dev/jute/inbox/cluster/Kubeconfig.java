package dev.jute.inbox.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes a kubeconfig (JSON, which kubectl and fabric8 read as YAML) for a plain-HTTP API without auth. */
final class Kubeconfig {

    private Kubeconfig() {
    }

    static void write(Path file, String name, String server) throws IOException {
        String text = """
                {"apiVersion":"v1","kind":"Config",
                 "clusters":[{"name":"%1$s","cluster":{"server":"%2$s"}}],
                 "users":[{"name":"%1$s","user":{}}],
                 "contexts":[{"name":"%1$s","context":{"cluster":"%1$s","user":"%1$s","namespace":"default"}}],
                 "current-context":"%1$s"}
                """.formatted(name, server);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
}
