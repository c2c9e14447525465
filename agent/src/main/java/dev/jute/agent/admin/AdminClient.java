package dev.jute.agent.admin;

import dev.jute.cni.Json;
import dev.jute.cni.JsonException;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** The CLI side of {@link AdminServer}: one JSON object out, one back, per connection. */
public final class AdminClient {

    private AdminClient() {
    }

    public static Map<String, Object> ask(Path socket, Map<String, Object> request) throws IOException, JsonException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(Json.write(request).getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.shutdownOutput();
            byte[] reply = Channels.newInputStream(channel).readAllBytes();
            return Json.parseObject(new String(reply, StandardCharsets.UTF_8));
        }
    }
}
