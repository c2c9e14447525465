package dev.jute.tests;

import dev.jute.inbox.CniPlugin;
import dev.jute.inbox.Command;
import dev.jute.inbox.JuteArtifacts;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real container runtime as Jute's CNI client: Debian's containerd, started by the test inside a node
 * namespace, runs two busybox containers with {@code ctr run --cni}; jute-cni is installed by
 * {@code jute install-cni} where ctr looks for it (/opt/cni/bin, /etc/cni/net.d) and the containers
 * ping each other.
 */
class ContainerdRuntimeTest {

    private static final Path BIN_DIR = Path.of("/opt/cni/bin");
    private static final Path CONF_DIR = Path.of("/etc/cni/net.d");
    private static final String IMAGE = "jute.test/busybox:latest";

    @Test
    void twoContainersPingEachOther() throws Exception {
        NodeFixture.assumeRootAndIp();
        assumeTrue(ContainerdProcess.available() && Files.isExecutable(BusyboxOciImage.BUSYBOX),
                "needs containerd, ctr, runc and busybox-static: skipped");
        assumeTrue(!Files.exists(BIN_DIR.resolve("jute-cni")), "a jute-cni is already installed in /opt/cni/bin; not overwriting it");
        boolean createdBinDir = !Files.exists(BIN_DIR);
        boolean createdConfDir = !Files.exists(CONF_DIR);
        // ctr reads only the first file of /etc/cni/net.d: ours sorts first.
        String confName = "00-" + NodeFixture.PREFIX + "containerd.conflist";
        try (NodeFixture node = new NodeFixture("10.244.13.0/24")) {
            Command.run(JuteArtifacts.java().toString(), "-jar", JuteArtifacts.agentJar().toString(), "install-cni",
                    "--from", JuteArtifacts.cniDistribution().toString(), "--bin-dir", BIN_DIR.toString(),
                    "--conf-dir", CONF_DIR.toString(), "--conf-name", confName, "--cni-version", "1.0.0",
                    "--socket", node.socket().toString()).check();
            try (ContainerdProcess containerd = ContainerdProcess.start(
                    Files.createDirectories(node.work().resolve("containerd")), "jutet")) {
                Path archive = BusyboxOciImage.build(Files.createDirectories(node.work().resolve("image")), IMAGE);
                containerd.ctr("image", "import", "--no-unpack=false", archive.toString()).check();

                containerd.ctr("run", "--cni", "-d", IMAGE, "pingee", "/bin/sleep", "300").check();
                String addr = containerd.ctr("task", "exec", "--exec-id", "addr", "pingee", "/bin/ip", "-4", "addr", "show", "eth0")
                        .check().stdout();
                Matcher inet = Pattern.compile("inet (10\\.244\\.13\\.\\d+)/32").matcher(addr);
                assertTrue(inet.find(), "the container got a Jute address: " + addr);
                String pingeeIp = inet.group(1);

                Command.Result ping = containerd.ctr("run", "--cni", "--rm", IMAGE, "pinger",
                        "/bin/ping", "-c", "3", "-W", "2", pingeeIp);
                assertEquals(0, ping.exitCode(), ping.stdout() + ping.stderr());
                assertTrue(ping.stdout().contains("3 packets received"), ping.stdout());

                containerd.ctr("task", "kill", "-s", "SIGKILL", "pingee");
                for (int i = 0; i < 50 && containerd.ctr("task", "delete", "pingee").exitCode() != 0; i++) {
                    Thread.sleep(100);
                }
                containerd.ctr("container", "delete", "pingee");
                // ctr sends DEL for the --rm container; never for -d ones: GC collects what the runtime forgot.
                assertEquals(1, node.ipamRecords().size(), "only the detached container's address is left: " + node.ipamRecords());
                Command.Result gc = node.cni().invoke(CniPlugin.Invocation.of("GC"), """
                        {"cniVersion":"1.1.0","name":"jute","type":"jute-cni","agentSocket":"%s",\
                        "cni.dev/valid-attachments":[]}""".formatted(node.socket()));
                assertEquals(0, gc.exitCode(), gc.stdout());
                assertEquals(0, node.ipamRecords().size());
                assertEquals(0, node.hostInterfaces().size());
            }
        } finally {
            Files.deleteIfExists(CONF_DIR.resolve(confName));
            Command.run("rm", "-rf", BIN_DIR.resolve("jute-cni").toString(), BIN_DIR.resolve("jute-cni.d").toString());
            if (createdConfDir) {
                Command.run("rmdir", CONF_DIR.toString(), CONF_DIR.getParent().toString());
            }
            if (createdBinDir) {
                Command.run("rmdir", BIN_DIR.toString(), BIN_DIR.getParent().toString());
            }
        }
    }
}
