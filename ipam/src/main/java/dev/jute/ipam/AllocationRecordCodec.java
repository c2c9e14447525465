package dev.jute.ipam;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The text form of one allocation record, one {@code key=value} per line so that an operator can read
 * it with {@code cat}:
 *
 * <pre>
 * # jute IPAM allocation record
 * version=1
 * address=10.244.1.5
 * pool=10.244.1.0/24
 * container-id=0f3c...
 * ifname=eth0
 * netns=/var/run/netns/cni-1234
 * allocated-at=2025-05-01T10:00:00.123456Z
 * pod=default/web-0
 * crc32c=1a2b3c4d
 * </pre>
 *
 * <p>The last line is a CRC-32C of everything before it: a record that was damaged on disk but still
 * looks well formed must be detected, because trusting it could hand its address out twice. Values
 * escape {@code \}, line feed and carriage return with a backslash. Unknown keys are ignored so that a
 * later version 1 writer can add fields.
 */
final class AllocationRecordCodec {
    static final int VERSION = 1;
    private static final String CHECKSUM_KEY = "crc32c";

    private AllocationRecordCodec() {
    }

    static byte[] encode(Allocation allocation) {
        StringBuilder text = new StringBuilder(256);
        text.append("# jute IPAM allocation record\n");
        line(text, "version", Integer.toString(VERSION));
        line(text, "address", IpAddresses.format(allocation.address()));
        line(text, "pool", allocation.pool().toString());
        line(text, "container-id", allocation.key().containerId());
        line(text, "ifname", allocation.key().ifname());
        line(text, "netns", allocation.netnsPath());
        line(text, "allocated-at", allocation.allocatedAt().toString());
        allocation.pod().ifPresent(pod -> {
            line(text, "pod-namespace", pod.namespace());
            line(text, "pod-name", pod.name());
        });
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        line(text, CHECKSUM_KEY, checksum(body, body.length));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void line(StringBuilder text, String key, String value) {
        text.append(key).append('=');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> text.append("\\\\");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                default -> text.append(c);
            }
        }
        text.append('\n');
    }

    /**
     * Parses a record.
     *
     * @throws IllegalArgumentException describing the first problem found
     */
    static Allocation decode(byte[] bytes) {
        int checksumStart = lastLineStart(bytes);
        String checksumLine = new String(bytes, checksumStart, bytes.length - checksumStart, StandardCharsets.UTF_8);
        String expected = CHECKSUM_KEY + "=" + checksum(bytes, checksumStart) + "\n";
        if (!checksumLine.equals(expected)) {
            throw new IllegalArgumentException(checksumLine.startsWith(CHECKSUM_KEY + "=")
                    ? "checksum mismatch (record damaged)" : "no checksum line at the end (record truncated?)");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        String body = new String(bytes, 0, checksumStart, StandardCharsets.UTF_8);
        for (String line : body.split("\n", -1)) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int equals = line.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("line without key=value: " + line);
            }
            String key = line.substring(0, equals);
            if (fields.put(key, unescape(line.substring(equals + 1))) != null) {
                throw new IllegalArgumentException("duplicate field " + key);
            }
        }
        String version = require(fields, "version");
        if (!version.equals(Integer.toString(VERSION))) {
            throw new IllegalArgumentException("unsupported record version " + version);
        }
        InetAddress address = IpAddresses.parse(require(fields, "address"));
        IpPrefix pool = IpPrefix.parse(require(fields, "pool"));
        AllocationKey key = new AllocationKey(require(fields, "container-id"), require(fields, "ifname"));
        Instant allocatedAt;
        try {
            allocatedAt = Instant.parse(require(fields, "allocated-at"));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("bad allocated-at: " + e.getMessage(), e);
        }
        String podNamespace = fields.get("pod-namespace");
        String podName = fields.get("pod-name");
        if ((podNamespace == null) != (podName == null)) {
            throw new IllegalArgumentException("pod-namespace and pod-name must come together");
        }
        Optional<PodRef> pod = podName == null ? Optional.empty() : Optional.of(new PodRef(podNamespace, podName));
        return new Allocation(key, address, pool, require(fields, "netns"), allocatedAt, pod);
    }

    private static int lastLineStart(byte[] bytes) {
        if (bytes.length == 0 || bytes[bytes.length - 1] != '\n') {
            return bytes.length; // empty or cut off: the checksum check reports it
        }
        int i = bytes.length - 2;
        while (i >= 0 && bytes[i] != '\n') {
            i--;
        }
        return i + 1;
    }

    private static String require(Map<String, String> fields, String key) {
        String value = fields.get(key);
        if (value == null) {
            throw new IllegalArgumentException("missing field " + key);
        }
        return value;
    }

    private static String unescape(String value) {
        if (value.indexOf('\\') < 0) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i == value.length()) {
                throw new IllegalArgumentException("dangling backslash in " + value);
            }
            out.append(switch (value.charAt(i)) {
                case '\\' -> '\\';
                case 'n' -> '\n';
                case 'r' -> '\r';
                default -> throw new IllegalArgumentException("unknown escape \\" + value.charAt(i));
            });
        }
        return out.toString();
    }

    private static String checksum(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return HexFormat.of().toHexDigits((int) crc.getValue());
    }
}
