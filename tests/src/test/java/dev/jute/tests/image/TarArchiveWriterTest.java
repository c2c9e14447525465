package dev.jute.tests.image;

import dev.jute.inbox.Command;
import dev.jute.inbox.image.ImageTree;
import dev.jute.inbox.image.TarArchiveWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The deterministic layer tar: same files, same bytes; GNU tar reads back names, modes, links and owners. */
class TarArchiveWriterTest {

    @TempDir
    Path dir;

    @Test
    void sameFilesGiveSameBytesWhateverTheirTimesAndListingOrder() throws IOException {
        Path a = tree(dir.resolve("a"), 1_000_000L);
        Path b = tree(dir.resolve("b"), 2_000_000_000L);
        assertArrayEquals(layer(a), layer(b));
    }

    @Test
    void gnuTarReadsNamesModesLinksOwnersAndTimes() throws IOException {
        assumeTrue(Command.exists("tar"), "needs GNU tar: skipped");
        Path source = tree(dir.resolve("src"), 1_234_567L);
        // Longer than ustar's 100 + 155 bytes, so it needs a PAX header; each part stays below NAME_MAX.
        StringBuilder deep = new StringBuilder("opt");
        for (int i = 0; i < 14; i++) {
            deep.append("/deep-directory-name-").append(i);
        }
        String longName = deep + "/file.txt";
        Path archive = dir.resolve("layer.tar");
        try (TarArchiveWriter tar = new TarArchiveWriter(Files.newOutputStream(archive), 86_400)) {
            new ImageTree("test").tree("opt/jute", source)
                    .directory("tmp", 01777)
                    .file(longName, 0600, "long".getBytes(StandardCharsets.UTF_8))
                    .symlink("lib", "usr/lib")
                    .writeTo(tar);
        }
        String listing = Command.run("tar", "-tv", "--numeric-owner", "--full-time", "-f", archive.toString()).check().stdout();
        for (String line : listing.lines().toList()) {
            assertTrue(line.contains(" 0/0 "), "owned by root: " + line);
            assertTrue(line.contains("1970-01-02 00:00:00"), "fixed mtime: " + line);
        }
        assertTrue(listing.contains("drwxrwxrwt 0/0"), listing);
        assertTrue(listing.lines().anyMatch(l -> l.matches("-rwxr-xr-x 0/0 +7 1970-01-02 00:00:00 opt/jute/bin/run")), listing);
        assertTrue(listing.lines().anyMatch(l -> l.matches("-rw-r--r-- 0/0 +5 1970-01-02 00:00:00 opt/jute/data.txt")), listing);
        assertTrue(listing.contains("opt/jute/current -> bin/run"), listing);
        assertTrue(listing.contains("lib -> usr/lib"), listing);

        Path out = Files.createDirectories(dir.resolve("out"));
        Command.run("tar", "-xf", archive.toString(), "-C", out.toString()).check();
        assertEquals("long", Files.readString(out.resolve(longName)));
        assertEquals("#!/bin/", Files.readString(out.resolve("opt/jute/bin/run")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(longName))));
    }

    @Test
    void hostFileReproducesEverySymlinkOnTheWay() throws IOException {
        Path real = Files.createDirectories(dir.resolve("usr/lib"));
        Files.writeString(real.resolve("libx.so.1.2"), "elf");
        Files.createSymbolicLink(real.resolve("libx.so.1"), Path.of("libx.so.1.2"));
        Files.createSymbolicLink(dir.resolve("lib"), Path.of("usr/lib"));
        String root = dir.toAbsolutePath().toString().substring(1);

        ImageTree tree = new ImageTree("libs").hostFile(dir.resolve("lib/libx.so.1").toAbsolutePath());

        assertEquals(new ImageTree.Symlink("usr/lib"), tree.entries().get(root + "/lib"));
        assertEquals(new ImageTree.Symlink("libx.so.1.2"), tree.entries().get(root + "/usr/lib/libx.so.1"));
        assertTrue(tree.entries().get(root + "/usr/lib/libx.so.1.2") instanceof ImageTree.RegularFile);
        assertTrue(tree.entries().get(root + "/usr/lib") instanceof ImageTree.Directory);
    }

    @Test
    void conflictingEntriesAndUncleanPathsAreRefused() {
        ImageTree tree = new ImageTree("t").symlink("lib", "usr/lib");
        assertThrows(IllegalStateException.class, () -> tree.file("lib/x", 0644, new byte[0]));
        assertThrows(IllegalStateException.class, () -> tree.file("lib", 0644, new byte[0]));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        TarArchiveWriter tar = new TarArchiveWriter(sink, 0);
        assertThrows(IllegalArgumentException.class, () -> tar.directory("a/../b", 0755));
        assertThrows(IllegalArgumentException.class, () -> tar.directory("/abs", 0755));
    }

    @Test
    void aFileThatChangesSizeWhileArchivedFailsTheLayer() {
        TarArchiveWriter tar = new TarArchiveWriter(new ByteArrayOutputStream(), 0);
        assertThrows(IOException.class, () -> tar.file("f", 0644, 10, new java.io.ByteArrayInputStream(new byte[4])));
    }

    /** A small tree whose files carry {@code mtime}; created in an order unrelated to name order. */
    private static Path tree(Path root, long mtime) throws IOException {
        Files.createDirectories(root.resolve("bin"));
        Files.writeString(root.resolve("data.txt"), "data\n");
        Files.writeString(root.resolve("bin/run"), "#!/bin/");
        Files.setPosixFilePermissions(root.resolve("bin/run"), PosixFilePermissions.fromString("rwx------"));
        Files.createSymbolicLink(root.resolve("current"), Path.of("bin/run"));
        for (Path p : List.of(root.resolve("data.txt"), root.resolve("bin/run"), root.resolve("bin"))) {
            Files.setLastModifiedTime(p, FileTime.fromMillis(mtime * 1000));
        }
        return root;
    }

    private static byte[] layer(Path source) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveWriter tar = new TarArchiveWriter(bytes, 0)) {
            new ImageTree("t").tree("opt/jute", source).writeTo(tar);
        }
        return bytes.toByteArray();
    }
}
