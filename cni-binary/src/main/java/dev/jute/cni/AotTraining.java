package dev.jute.cni;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The training run for jute-cni's AOT cache, executed once during the build
 * ({@code java -XX:AOTCacheOutput=jute-cni.aot ... AotTraining}). It drives {@link JuteCni} through the
 * paths a runtime exercises — VERSION, ADD/CHECK/DEL/STATUS/GC against an agent, the agent being down,
 * bad input — so the classes those paths load and link are in the cache and every real invocation
 * starts with them ready. A small in-process agent answers over a real unix socket.
 */
public final class AotTraining {

    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("jute-cni-aot");
        Path socket = dir.resolve("agent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread agent = Thread.ofPlatform().daemon().start(() -> serve(server));
            String config = "{\"cniVersion\":\"1.1.0\",\"name\":\"train\",\"type\":\"jute-cni\",\"agentSocket\":\""
                    + socket + "\"}";
            String down = "{\"cniVersion\":\"1.0.0\",\"name\":\"train\",\"type\":\"jute-cni\",\"agentSocket\":\""
                    + dir.resolve("absent.sock") + "\"}";
            for (int round = 0; round < 20; round++) {
                invoke("VERSION", config);
                invoke("ADD", config);
                invoke("CHECK", config.replace("}", ",\"prevResult\":" + RESULT + "}"));
                invoke("STATUS", config);
                invoke("DEL", config);
                invoke("GC", config.replace("}", ",\"cni.dev/valid-attachments\":[]}"));
                invoke("ADD", down);
                invoke("STATUS", down);
                invoke("ADD", "{\"cniVersion\":");
                invoke("ADD", config.replace("1.1.0", "7.0.0"));
            }
            agent.interrupt();
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }

    private static final String RESULT = "{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"jute0123456789a\","
            + "\"mac\":\"ee:ee:ee:ee:ee:ee\"},{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\",\"sandbox\":\"/var/run/netns/x\"}],"
            + "\"ips\":[{\"address\":\"10.244.0.2/32\",\"gateway\":\"169.254.1.1\",\"interface\":1}],"
            + "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"169.254.1.1\"}]}";

    private static void invoke(String command, String config) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "aot-training-container");
        env.put("CNI_NETNS", "/var/run/netns/aot-training");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=train");
        env.put("CNI_PATH", "/opt/cni/bin");
        PrintStream discard = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        JuteCni.execute(env, new ByteArrayInputStream(config.getBytes(StandardCharsets.UTF_8)), discard, discard);
    }

    private static void serve(ServerSocketChannel server) {
        while (server.isOpen()) {
            try (SocketChannel client = server.accept()) {
                AgentProtocol.Request request = AgentProtocol.readRequest(client, Duration.ofSeconds(5));
                String command = request.environment().get("CNI_COMMAND");
                AgentProtocol.Response response = "ADD".equals(command)
                        ? AgentProtocol.Response.success(RESULT)
                        : AgentProtocol.Response.success("");
                AgentProtocol.writeResponse(client, response, Duration.ofSeconds(5));
            } catch (IOException e) {
                return;
            }
        }
    }
}
