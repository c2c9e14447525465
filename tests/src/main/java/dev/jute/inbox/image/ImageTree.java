package dev.jute.inbox.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The files of one image layer, by their path inside the image, written to a tar in sorted order so
 * that the layer's bytes depend on the files' content, mode and names only — never on the order a
 * directory listing returned them in or on their owners and times on the build machine.
 */
public final class ImageTree {

    /** What one path in the layer is. */
    public sealed interface Entry permits Directory, RegularFile, Symlink {
    }

    public record Directory(int mode) implements Entry {
    }

    /** A file's content comes either from a file on the build machine or from bytes made by the builder. */
    public record RegularFile(int mode, Path source, byte[] content) implements Entry {
        long size() throws IOException {
            return source != null ? Files.size(source) : content.length;
        }

        InputStream open() throws IOException {
            return source != null ? Files.newInputStream(source) : new ByteArrayInputStream(content);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RegularFile f && f.mode == mode && java.util.Objects.equals(f.source, source)
                   && java.util.Arrays.equals(f.content, content);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(mode, source, java.util.Arrays.hashCode(content));
        }
    }

    public record Symlink(String target) implements Entry {
    }

    private static final int MAX_SYMLINK_HOPS = 40;

    private final String name;
    private final TreeMap<String, Entry> entries = new TreeMap<>();

    /** @param name what the layer holds, recorded in the image history */
    public ImageTree(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public Map<String, Entry> entries() {
        return Collections.unmodifiableMap(entries);
    }

    public ImageTree directory(String path, int mode) {
        put(clean(path), new Directory(mode));
        return this;
    }

    public ImageTree file(String path, int mode, byte[] content) {
        put(clean(path), new RegularFile(mode, null, content.clone()));
        return this;
    }

    /** A file copied from the build machine; executable for everyone when its owner may execute it. */
    public ImageTree file(String path, Path source) throws IOException {
        if (!Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(source + " is not a regular file");
        }
        put(clean(path), new RegularFile(normalMode(source), source.toAbsolutePath(), null));
        return this;
    }

    public ImageTree symlink(String path, String target) {
        put(clean(path), new Symlink(target));
        return this;
    }

    /** Copies the directory {@code source} of the build machine to {@code path}, symlinks kept as symlinks. */
    public ImageTree tree(String path, Path source) throws IOException {
        if (!Files.isDirectory(source)) {
            throw new IllegalArgumentException(source + " is not a directory");
        }
        String base = clean(path);
        put(base, new Directory(0755));
        List<Path> all;
        try (Stream<Path> walk = Files.walk(source)) {
            all = walk.filter(p -> !p.equals(source)).sorted().toList();
        }
        for (Path p : all) {
            String inImage = base + "/" + source.relativize(p).toString().replace('\\', '/');
            if (Files.isSymbolicLink(p)) {
                symlink(inImage, Files.readSymbolicLink(p).toString());
            } else if (Files.isDirectory(p)) {
                put(inImage, new Directory(0755));
            } else if (Files.isRegularFile(p)) {
                file(inImage, p);
            } else {
                throw new IllegalArgumentException(p + " is neither a file, a directory nor a symlink");
            }
        }
        return this;
    }

    /**
     * Copies the file at the absolute host path {@code hostPath} to the same path in the image,
     * reproducing every symlink on the way (Debian's {@code /lib -> usr/lib}, a library's
     * {@code libbpf.so.1 -> libbpf.so.1.1.0}), so the image resolves the path as the host does.
     */
    public ImageTree hostFile(Path hostPath) throws IOException {
        if (!hostPath.isAbsolute()) {
            throw new IllegalArgumentException("not an absolute path: " + hostPath);
        }
        Path current = hostPath.normalize();
        for (int hops = 0; hops < MAX_SYMLINK_HOPS; hops++) {
            Path resolvedPrefix = current.getRoot();
            Path restarted = null;
            for (int i = 0; i < current.getNameCount(); i++) {
                Path next = resolvedPrefix.resolve(current.getName(i));
                String inImage = clean(next.toString().substring(1));
                if (Files.isSymbolicLink(next)) {
                    Path target = Files.readSymbolicLink(next);
                    put(inImage, new Symlink(target.toString()));
                    Path rest = i + 1 < current.getNameCount() ? current.subpath(i + 1, current.getNameCount()) : null;
                    Path base = next.getParent().resolve(target).normalize();
                    restarted = rest == null ? base : base.resolve(rest);
                    break;
                }
                if (i + 1 == current.getNameCount()) {
                    file(inImage, next);
                } else if (!Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IllegalArgumentException(hostPath + ": " + next + " is not a directory");
                }
                resolvedPrefix = next;
            }
            if (restarted == null) {
                return this;
            }
            current = restarted;
        }
        throw new IllegalArgumentException(hostPath + ": more than " + MAX_SYMLINK_HOPS + " symlinks");
    }

    /** Writes the layer: parents before children, siblings in name order. */
    public void writeTo(TarArchiveWriter tar) throws IOException {
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            switch (e.getValue()) {
                case Directory d -> tar.directory(e.getKey(), d.mode());
                case Symlink s -> tar.symlink(e.getKey(), s.target());
                case RegularFile f -> {
                    try (InputStream in = f.open()) {
                        tar.file(e.getKey(), f.mode(), f.size(), in);
                    }
                }
            }
        }
    }

    private void put(String path, Entry entry) {
        List<String> parents = new ArrayList<>();
        for (int slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
            parents.add(path.substring(0, slash));
        }
        for (String parent : parents) {
            Entry existing = entries.get(parent);
            if (existing == null) {
                entries.put(parent, new Directory(0755));
            } else if (!(existing instanceof Directory)) {
                throw new IllegalStateException("cannot add " + path + " under " + parent + ", which is " + existing);
            }
        }
        Entry existing = entries.get(path);
        if (existing != null && !existing.equals(entry)) {
            if (existing instanceof Directory && entry instanceof Directory) {
                entries.put(path, entry); // an explicit mode wins over an implied parent's 0755
                return;
            }
            throw new IllegalStateException(path + " added twice: " + existing + " and " + entry);
        }
        entries.put(path, entry);
    }

    private static String clean(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty()) {
            throw new IllegalArgumentException("empty image path");
        }
        return p;
    }

    /** 0755 for files their owner may execute, else 0644: the build machine's umask must not leak into the image. */
    private static int normalMode(Path file) throws IOException {
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        return permissions.contains(PosixFilePermission.OWNER_EXECUTE) ? 0755 : 0644;
    }
}
