package dev.jute.agent;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Installs jute-cni on a node the way containerd and kubelet expect: the launcher in the CNI bin
 * directory with its runtime, jar and AOT cache in {@code jute-cni.d} beside it, and a conflist in the
 * CNI configuration directory. Files are written under a temporary name and renamed, so a runtime never
 * executes or reads a half-written file.
 */
final class CniInstaller {

    static final String USAGE = """
            usage: jute install-cni [options]
              --from DIR         the built jute-cni distribution (default: cni-binary/target/jute-cni-dist)
              --bin-dir DIR      CNI plugin directory (default /opt/cni/bin)
              --conf-dir DIR     CNI configuration directory (default /etc/cni/net.d)
              --conf-name NAME   conflist file name (default 10-jute.conflist)
              --cni-version V    cniVersion of the conflist (default 1.0.0: containerd 1.6 reads up to 1.0.0)
              --socket PATH      the agent's CNI socket (default /run/jute/cni.sock)
              --mtu N            pod MTU written into the conflist (default: none, the agent's --mtu applies)
            """;

    private CniInstaller() {
    }

    static void run(List<String> args) throws IOException {
        Path from = Path.of("cni-binary/target/jute-cni-dist");
        Path binDir = Path.of("/opt/cni/bin");
        Path confDir = Path.of("/etc/cni/net.d");
        String confName = "10-jute.conflist";
        String cniVersion = "1.0.0";
        String socket = AgentConfig.DEFAULT_SOCKET.toString();
        Integer mtu = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String value = i + 1 < args.size() ? args.get(i + 1) : null;
            switch (arg) {
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    return;
                }
                case "--from" -> from = Path.of(require(value, arg));
                case "--bin-dir" -> binDir = Path.of(require(value, arg));
                case "--conf-dir" -> confDir = Path.of(require(value, arg));
                case "--conf-name" -> confName = require(value, arg);
                case "--cni-version" -> cniVersion = require(value, arg);
                case "--socket" -> socket = require(value, arg);
                case "--mtu" -> mtu = Integer.parseInt(require(value, arg));
                default -> throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
            }
            i++;
        }
        if (!Files.isExecutable(from.resolve("jute-cni"))) {
            throw new IllegalArgumentException(from + " holds no jute-cni distribution; build first (./jute build)");
        }
        boolean portmap = Files.isExecutable(binDir.resolve("portmap"));
        if (!portmap) {
            System.err.println("note: no portmap plugin in " + binDir + ": hostPort will not work");
        }
        install(from, binDir, confDir, confName, conflist(cniVersion, socket, mtu, portmap));
        System.out.println("installed " + binDir.resolve("jute-cni") + " and " + confDir.resolve(confName));
    }

    /**
     * The conflist: Jute first, then portmap for hostPort (conformance needs it) when the node has it —
     * a missing chained plugin would fail every ADD.
     */
    static String conflist(String cniVersion, String socket, Integer mtu, boolean withPortmap) {
        String portmap = withPortmap ? """
                ,
                    {
                      "type": "portmap",
                      "capabilities": {"portMappings": true}
                    }""" : "";
        return """
                {
                  "cniVersion": "%s",
                  "name": "jute",
                  "plugins": [
                    {
                      "type": "jute-cni",
                      "agentSocket": "%s"%s
                    }%s
                  ]
                }
                """.formatted(cniVersion, socket, mtu == null ? "" : ",\n          \"mtu\": " + mtu, portmap);
    }

    static void install(Path from, Path binDir, Path confDir, String confName, String conflist) throws IOException {
        Files.createDirectories(binDir);
        Files.createDirectories(confDir);
        Path payload = binDir.resolve("jute-cni.d");
        Path staging = binDir.resolve(".jute-cni.d.new");
        deleteTree(staging);
        copyTree(from.resolve("jute-cni.d"), staging);
        Path old = binDir.resolve(".jute-cni.d.old");
        deleteTree(old);
        if (Files.exists(payload)) {
            Files.move(payload, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(staging, payload, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
        replaceFile(from.resolve("jute-cni"), binDir.resolve("jute-cni"));
        Path tmpConf = confDir.resolve("." + confName + ".tmp");
        Files.writeString(tmpConf, conflist);
        Files.move(tmpConf, confDir.resolve(confName), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void replaceFile(Path source, Path target) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void copyTree(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(target.resolve(source.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, target.resolve(source.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
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
    }

    private static String require(String value, String option) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }
}
