package dev.jute.inbox.image;

import dev.jute.inbox.Command;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The build machine's shared libraries an image needs: the dynamic loader and every library the
 * image's ELF files link against, as {@code ldd} resolves them. The agent makes only native calls
 * (JNA into libc and libbpf), so these few libraries are the image's whole userland.
 */
public final class SharedLibraries {

    private static final Pattern RESOLVED = Pattern.compile("^\\s*(\\S+) => (/\\S+) \\(0x[0-9a-f]+\\)$");
    private static final Pattern LOADER = Pattern.compile("^\\s*(/\\S+) \\(0x[0-9a-f]+\\)$");
    private static final Pattern MISSING = Pattern.compile("^\\s*(\\S+) => not found$");
    private static final Pattern LDCONFIG = Pattern.compile("^\\s*(\\S+) \\(([^)]*)\\) => (/\\S+)$");

    private SharedLibraries() {
    }

    /**
     * The host paths of the libraries {@code elfFiles} need, the loader included, except those shipped
     * in {@code shipped} itself (the runtime's libjvm.so and libjli.so, found through their RUNPATH;
     * ldd may resolve them to that folder or not at all).
     *
     * @throws IllegalStateException when a library is missing on the build machine
     */
    public static Set<Path> needed(Collection<Path> elfFiles, Path shipped) throws IOException {
        Path shippedDir = shipped.toAbsolutePath().normalize();
        Set<String> shippedNames = new TreeSet<>();
        for (Path p : elfFilesUnder(shippedDir)) {
            shippedNames.add(p.getFileName().toString());
        }
        Set<Path> libraries = new TreeSet<>();
        for (Path elf : elfFiles) {
            Command.Result ldd = Command.run("ldd", elf.toString());
            String out = ldd.stdout();
            if (!ldd.ok()) {
                if (out.contains("not a dynamic executable") || ldd.stderr().contains("not a dynamic executable")) {
                    continue;
                }
                ldd.check();
            }
            for (String line : out.lines().toList()) {
                Matcher m;
                Path library = null;
                if ((m = RESOLVED.matcher(line)).matches()) {
                    library = Path.of(m.group(2)).normalize();
                } else if ((m = LOADER.matcher(line)).matches()) {
                    library = Path.of(m.group(1)).normalize();
                } else if ((m = MISSING.matcher(line)).matches() && !shippedNames.contains(m.group(1))) {
                    throw new IllegalStateException(elf + " needs " + m.group(1) + ", which this machine does not have");
                }
                if (library != null && !library.startsWith(shippedDir)) {
                    libraries.add(library);
                }
            }
        }
        return libraries;
    }

    /** Where the dynamic loader finds {@code soname} on this machine (from {@code ldconfig -p}), for this architecture. */
    public static Path find(String soname, String debianPackage) {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86-64";
            case "aarch64" -> "AArch64";
            default -> "";
        };
        for (String line : Command.run("ldconfig", "-p").check().stdout().lines().toList()) {
            Matcher m = LDCONFIG.matcher(line);
            if (m.matches() && m.group(1).equals(soname) && m.group(2).contains(arch)) {
                return Path.of(m.group(3));
            }
        }
        throw new IllegalStateException(soname + " is not installed on this machine (Debian package " + debianPackage
                                        + "): the image copies it from here");
    }

    /** The ELF files under {@code dir} (executables and shared objects), found by their magic number. */
    public static List<Path> elfFilesUnder(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).filter(SharedLibraries::isElf).sorted().toList();
        }
    }

    private static boolean isElf(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }
}
