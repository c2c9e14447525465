package dev.jute.cni;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The wire format between {@code jute-cni} and the agent: one request and one response per
 * unix-domain stream connection.
 *
 * <pre>
 * message  = magic(4 bytes) length(int32, big endian) body(length bytes)
 * request  = magic "JCQ1", body = count(int32) { string(name) string(value) }*count string(stdin)
 * response = magic "JCR1", body = exitCode(int32, 0..255) string(stdout)
 * string   = length(int32) UTF-8 bytes
 * </pre>
 *
 * Bodies larger than {@link #MAX_BODY_BYTES} are refused by readers and writers, so neither side
 * can be made to allocate without bound. Only {@code CNI_*} variables travel. All methods expect
 * channels in blocking mode; the variants with a timeout close the channel when it expires and
 * then throw {@link SocketTimeoutException}.
 */
public final class AgentProtocol {
    /** 4 MiB: far above any real network configuration, small enough to never hurt. */
    public static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

    private static final int REQUEST_MAGIC = 0x4A435131;  // "JCQ1"
    private static final int RESPONSE_MAGIC = 0x4A435231; // "JCR1"
    private static final int HEADER_BYTES = 8;

    private AgentProtocol() {
    }

    /** What jute-cni sends: the CNI environment variables and stdin, as received. */
    public record Request(Map<String, String> environment, String stdin) {
        public Request {
            if (environment == null || stdin == null) {
                throw new IllegalArgumentException("environment and stdin are required");
            }
            LinkedHashMap<String, String> copy = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : environment.entrySet()) {
                if (!e.getKey().startsWith("CNI_")) {
                    throw new IllegalArgumentException("only CNI_* variables are sent, not " + e.getKey());
                }
                if (e.getValue() == null) {
                    throw new IllegalArgumentException("variable " + e.getKey() + " has no value");
                }
                copy.put(e.getKey(), e.getValue());
            }
            environment = Collections.unmodifiableMap(copy);
        }

        /** A request from a whole process environment: keeps only the CNI_* variables. */
        public static Request of(Map<String, String> processEnvironment, String stdin) {
            return new Request(CniRequest.cniVariables(processEnvironment), stdin);
        }
    }

    /** What the agent answers: jute-cni prints {@code stdout} verbatim and exits with {@code exitCode}. */
    public record Response(int exitCode, String stdout) {
        public Response {
            if (exitCode < 0 || exitCode > 255) {
                throw new IllegalArgumentException("exit code must be 0..255, was " + exitCode);
            }
            if (stdout == null) {
                throw new IllegalArgumentException("stdout is required (may be empty)");
            }
        }

        /** Success with the given output (a result for ADD, empty for the other commands). */
        public static Response success(String stdout) {
            return new Response(0, stdout);
        }

        /** A CNI error result in the given version, exit status 1. */
        public static Response error(CniException error, CniVersion version) {
            return new Response(1, error.toJsonText(version.text()));
        }
    }

    // ------------------------------------------------------------------ request

    public static void writeRequest(SocketChannel channel, Request request, Duration timeout) throws IOException {
        try (ChannelWatchdog watchdog = ChannelWatchdog.start(channel, timeout)) {
            guarded(watchdog, channel, encodeRequest(request), 0, "request");
        }
    }

    public static Request readRequest(SocketChannel channel, Duration timeout) throws IOException {
        try (ChannelWatchdog watchdog = ChannelWatchdog.start(channel, timeout)) {
            return decodeRequest(guarded(watchdog, channel, null, REQUEST_MAGIC, "request"));
        }
    }

    // ------------------------------------------------------------------ response

    public static void writeResponse(SocketChannel channel, Response response, Duration timeout) throws IOException {
        try (ChannelWatchdog watchdog = ChannelWatchdog.start(channel, timeout)) {
            guarded(watchdog, channel, encodeResponse(response), 0, "response");
        }
    }

    public static Response readResponse(SocketChannel channel, Duration timeout) throws IOException {
        try (ChannelWatchdog watchdog = ChannelWatchdog.start(channel, timeout)) {
            return decodeResponse(guarded(watchdog, channel, null, RESPONSE_MAGIC, "response"));
        }
    }

    /**
     * Writes {@code out}, or when it is null reads one message with {@code magic}; a close by the
     * watchdog becomes a timeout.
     */
    private static ByteBuffer guarded(ChannelWatchdog watchdog, SocketChannel channel, ByteBuffer out, int magic,
                                      String what) throws IOException {
        try {
            if (out != null) {
                writeFully(channel, out);
                return null;
            }
            return readMessage(channel, magic, what);
        } catch (ClosedChannelException e) {
            if (watchdog.fired()) {
                throw timeout((out != null ? "writing" : "reading") + " the " + what);
            }
            throw e;
        }
    }

    static SocketTimeoutException timeout(String what) {
        return new SocketTimeoutException("timed out " + what);
    }

    // ------------------------------------------------------------------ encoding (package-private for AgentClient)

    static ByteBuffer encodeRequest(Request request) throws ProtocolException {
        byte[][] parts = new byte[request.environment().size() * 2 + 1][];
        int i = 0;
        long size = 4;
        for (Map.Entry<String, String> e : request.environment().entrySet()) {
            parts[i] = e.getKey().getBytes(StandardCharsets.UTF_8);
            parts[i + 1] = e.getValue().getBytes(StandardCharsets.UTF_8);
            size += 8L + parts[i].length + parts[i + 1].length;
            i += 2;
        }
        parts[i] = request.stdin().getBytes(StandardCharsets.UTF_8);
        size += 4L + parts[i].length;
        ByteBuffer buf = header(REQUEST_MAGIC, size, "request");
        buf.putInt(request.environment().size());
        for (byte[] part : parts) {
            buf.putInt(part.length).put(part);
        }
        return buf.flip();
    }

    static ByteBuffer encodeResponse(Response response) throws ProtocolException {
        byte[] stdout = response.stdout().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = header(RESPONSE_MAGIC, 8L + stdout.length, "response");
        buf.putInt(response.exitCode()).putInt(stdout.length).put(stdout);
        return buf.flip();
    }

    private static ByteBuffer header(int magic, long bodySize, String what) throws ProtocolException {
        if (bodySize > MAX_BODY_BYTES) {
            throw new ProtocolException(what + " of " + bodySize + " bytes exceeds the limit of " + MAX_BODY_BYTES);
        }
        ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + (int) bodySize);
        return buf.putInt(magic).putInt((int) bodySize);
    }

    static Request decodeRequest(ByteBuffer body) throws ProtocolException {
        int count = body.getInt();
        if (count < 0 || count > body.remaining() / 8) {
            throw new ProtocolException("bad variable count " + count + " in request");
        }
        LinkedHashMap<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String name = readString(body, "variable name");
            String value = readString(body, "value of " + name);
            if (env.put(name, value) != null) {
                throw new ProtocolException("variable " + name + " sent twice");
            }
        }
        String stdin = readString(body, "stdin");
        if (body.hasRemaining()) {
            throw new ProtocolException(body.remaining() + " unexpected bytes after the request");
        }
        try {
            return new Request(env, stdin);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(e.getMessage());
        }
    }

    static Response decodeResponse(ByteBuffer body) throws ProtocolException {
        if (body.remaining() < 4) {
            throw new ProtocolException("response too short");
        }
        int exitCode = body.getInt();
        String stdout = readString(body, "stdout");
        if (body.hasRemaining()) {
            throw new ProtocolException(body.remaining() + " unexpected bytes after the response");
        }
        try {
            return new Response(exitCode, stdout);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(e.getMessage());
        }
    }

    private static String readString(ByteBuffer body, String what) throws ProtocolException {
        if (body.remaining() < 4) {
            throw new ProtocolException("message ends before the length of " + what);
        }
        int length = body.getInt();
        if (length < 0 || length > body.remaining()) {
            throw new ProtocolException("bad length " + length + " of " + what);
        }
        ByteBuffer slice = body.slice(body.position(), length);
        body.position(body.position() + length);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(slice);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(what + " is not valid UTF-8");
        }
    }

    // ------------------------------------------------------------------ raw I/O

    static void writeFully(SocketChannel channel, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    /** Reads one message with the expected magic and returns its body, positioned at 0. */
    static ByteBuffer readMessage(SocketChannel channel, int magic, String what) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        readFully(channel, header, what);
        header.flip();
        int actualMagic = header.getInt();
        if (actualMagic != magic) {
            throw new ProtocolException("not a jute-cni " + what + " (bad magic 0x" + Integer.toHexString(actualMagic)
                    + "); is the socket really the Jute agent's?");
        }
        int length = header.getInt();
        if (length < 0 || length > MAX_BODY_BYTES) {
            throw new ProtocolException(what + " of " + Integer.toUnsignedString(length)
                    + " bytes exceeds the limit of " + MAX_BODY_BYTES);
        }
        ByteBuffer body = ByteBuffer.allocate(length);
        readFully(channel, body, what);
        return body.flip();
    }

    private static void readFully(SocketChannel channel, ByteBuffer buf, String what) throws IOException {
        while (buf.hasRemaining()) {
            if (channel.read(buf) < 0) {
                throw new EOFException("connection closed after " + buf.position() + " of " + buf.capacity()
                        + " bytes of the " + what + (buf.capacity() == HEADER_BYTES ? " header" : " body"));
            }
        }
    }

    static int requestMagic() {
        return REQUEST_MAGIC;
    }

    static int responseMagic() {
        return RESPONSE_MAGIC;
    }
}
