package dev.jute.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The executable's logic in-process, for the paths a subprocess cannot easily provoke. */
class JuteCniTest {
    static final Map<String, String> ADD = Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1",
            "CNI_NETNS", "/run/netns/x", "CNI_IFNAME", "eth0");

    record Outcome(int exit, String out, String err) { }

    static Outcome execute(Map<String, String> env, InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = JuteCni.execute(env, in, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static long code(Outcome o) throws Exception {
        assertTrue(o.exit() != 0);
        return (Long) Json.parseObject(o.out()).get("code");
    }

    @Test
    void unexpectedFailureIsCode999WithoutStackTrace() throws Exception {
        InputStream exploding = new InputStream() {
            @Override
            public int read() {
                throw new IllegalStateException("boom");
            }

            @Override
            public byte[] readNBytes(int len) {
                throw new IllegalStateException("boom");
            }
        };
        Outcome o = execute(ADD, exploding);
        assertEquals(1, o.exit());
        Map<String, Object> error = Json.parseObject(o.out());
        assertEquals(999L, error.get("code"));
        assertTrue(((String) error.get("details")).contains("boom"));
        assertFalse(o.out().contains("\tat "));
        assertEquals(1, o.err().lines().count(), "one line on stderr: " + o.err());
    }

    @Test
    void unreadableStdinIsIoFailure() throws Exception {
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("EIO");
            }
        };
        assertEquals(5L, code(execute(ADD, failing)));
    }

    @Test
    void stdinMustBeUtf8AndBounded() throws Exception {
        assertEquals(6L, code(execute(ADD, new ByteArrayInputStream(new byte[] {'{', (byte) 0xC3, '}'}))));
        byte[] huge = new byte[AgentProtocol.MAX_BODY_BYTES + 1];
        Arrays.fill(huge, (byte) ' ');
        assertEquals(7L, code(execute(ADD, new ByteArrayInputStream(huge))));
    }

    @Test
    void missingCommandDoesNotReadStdin() throws Exception {
        InputStream mustNotBeRead = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("stdin was read");
            }
        };
        Outcome o = execute(Map.of(), mustNotBeRead);
        assertEquals(4L, code(o));
        assertTrue(o.err().contains("CNI_COMMAND"));
    }

    @Test
    void errorsUseTheConfigVersionWhenKnown() throws Exception {
        Outcome o = execute(Map.of("CNI_COMMAND", "CHECK", "CNI_CONTAINERID", "c1", "CNI_NETNS", "/n", "CNI_IFNAME",
                "eth0"), new ByteArrayInputStream("{\"cniVersion\":\"0.3.1\",\"name\":\"n\",\"type\":\"jute-cni\"}"
                .getBytes(StandardCharsets.UTF_8)));
        assertEquals("{\"cniVersion\":\"0.3.1\",\"code\":1,\"msg\":\"config version 0.3.1 does not allow CHECK\","
                + "\"details\":\"CHECK needs cniVersion 0.4.0 or newer\"}", o.out());
    }
}
