package dev.jute.bgp;

import dev.jute.bgp.fsm.FakeConnection;
import dev.jute.bgp.fsm.ManualTimers;
import dev.jute.bgp.fsm.PeerFsm;
import dev.jute.bgp.fsm.SessionState;
import dev.jute.bgp.fsm.SpeakerSettings;
import dev.jute.bgp.message.BgpDecodeException;
import dev.jute.bgp.message.BgpMessage;
import dev.jute.bgp.message.Capability;
import dev.jute.bgp.message.ErrorCodes;
import dev.jute.bgp.message.KeepaliveMessage;
import dev.jute.bgp.message.MessageDecoder;
import dev.jute.bgp.message.MessageEncoder;
import dev.jute.bgp.message.OpenMessage;
import dev.jute.bgp.message.UpdateMessage;
import dev.jute.bgp.rib.RouteAttributes;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Feeds random and mutated messages (bit flips, truncations, corrupted length fields, random
 * bodies behind valid headers) to the decoder and then through an established session: every one
 * must decode or yield a precise NOTIFICATION, and nothing may throw anything else.
 */
class DecoderFuzzTest {
    static final long SEED = 0x5EED_B6B0L;
    static final int ROUNDS = 30_000;

    static List<byte[]> corpus() throws Exception {
        List<byte[]> out = new ArrayList<>();
        for (String name : List.of("gobgp-3.10.hex", "bird-2.0.12.hex")) {
            try (InputStream in = DecoderFuzzTest.class.getResourceAsStream("/dev/jute/bgp/capture/" + name)) {
                for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                    if (!line.isBlank()) {
                        out.add(HexFormat.of().parseHex(line.split(" ")[1]));
                    }
                }
            }
        }
        String full = "40010101 4002100202 0000fdea0000fdeb 01010000fdec 400304c0000201 80040400000064"
                + "400504000000c8 400600 c007080000fdeac0000201 c00808fdea0001ffffff01 80090401020304"
                + "800a080a0000010a000002 c0200c0000fdea0000000100000002"
                + "900e002c 0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00 30 20010db80001"
                + "800f08 0002 01 20 20010db8 c0110a0202fa56ea01fa56ea02";
        out.add(message(2, "0004 180a0100" + String.format("%04x", hex(full).length) + full + "180a0200100a0300"));
        return out;
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    static byte[] message(int type, String body) {
        byte[] b = hex(body);
        byte[] m = new byte[19 + b.length];
        java.util.Arrays.fill(m, 0, 16, (byte) 0xFF);
        m[16] = (byte) (m.length >>> 8);
        m[17] = (byte) m.length;
        m[18] = (byte) type;
        System.arraycopy(b, 0, m, 19, b.length);
        return m;
    }

    static byte[] mutate(byte[] original, Random r) {
        byte[] m = original.clone();
        switch (r.nextInt(6)) {
            case 0 -> { // bit flips anywhere past the marker
                int flips = 1 + r.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    int at = 16 + r.nextInt(m.length - 16);
                    m[at] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> { // truncation with a consistent header length
                int len = 19 + r.nextInt(Math.max(1, m.length - 19));
                m = java.util.Arrays.copyOf(m, len);
                m[16] = (byte) (len >>> 8);
                m[17] = (byte) len;
            }
            case 2 -> { // corrupt an inner 1- or 2-octet length field (any byte in the body)
                int at = 19 + r.nextInt(Math.max(1, m.length - 19));
                if (at < m.length) {
                    m[at] = (byte) r.nextInt(256);
                }
            }
            case 3 -> { // header length field corrupted
                int len = r.nextInt(5000);
                m[16] = (byte) (len >>> 8);
                m[17] = (byte) len;
            }
            case 4 -> { // random body behind a valid header of a random type
                int len = 19 + r.nextInt(200);
                m = new byte[len];
                r.nextBytes(m);
                java.util.Arrays.fill(m, 0, 16, (byte) 0xFF);
                m[16] = (byte) (len >>> 8);
                m[17] = (byte) len;
                m[18] = (byte) (1 + r.nextInt(5));
            }
            default -> { // a run of random bytes overwritten
                int at = 19 + r.nextInt(Math.max(1, m.length - 19));
                int n = Math.min(m.length - at, 1 + r.nextInt(8));
                for (int i = 0; i < n; i++) {
                    m[at + i] = (byte) r.nextInt(256);
                }
            }
        }
        return m;
    }

    @Test
    void mutatedMessagesDecodeOrFailWithAPreciseNotification() throws Exception {
        Random random = new Random(SEED);
        List<byte[]> corpus = corpus();
        int decoded = 0;
        int rejected = 0;
        int attributeErrors = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] input = mutate(corpus.get(random.nextInt(corpus.size())), random);
            for (boolean four : new boolean[] {true, false}) {
                try {
                    BgpMessage m = new MessageDecoder(four).decode(input);
                    decoded++;
                    if (m instanceof UpdateMessage u) {
                        attributeErrors += u.errors().size();
                        RouteAttributes.fromWire(u.attributes(), four, null);
                    }
                    reencodes(m, four);
                } catch (BgpDecodeException e) {
                    rejected++;
                    int code = e.code();
                    assertTrue(code >= ErrorCodes.MESSAGE_HEADER_ERROR && code <= ErrorCodes.UPDATE_MESSAGE_ERROR,
                            "round " + round + ": " + e.getMessage());
                    assertNotNull(e.toNotification());
                } catch (RuntimeException e) {
                    fail("round " + round + " seed " + SEED + " input " + HexFormat.of().formatHex(input), e);
                }
            }
        }
        assertTrue(decoded > 1000 && rejected > 1000 && attributeErrors > 100,
                "mutations exercised both paths: decoded=" + decoded + " rejected=" + rejected
                        + " attributeErrors=" + attributeErrors);
    }

    private static void reencodes(BgpMessage m, boolean four) throws BgpDecodeException {
        byte[] again;
        try {
            again = new MessageEncoder(four).encode(m);
        } catch (IllegalArgumentException e) {
            // Only an RFC 9072 extended OPEN may not fit the classic encoding.
            assertInstanceOf(OpenMessage.class, m, e.getMessage());
            return;
        }
        BgpMessage back = new MessageDecoder(four).decode(again);
        if (!(m instanceof UpdateMessage u) || u.errors().isEmpty()) {
            assertEquals(m, back);
        }
    }

    @Test
    void mutatedUpdatesNeverBreakAnEstablishedSession() throws Exception {
        ManualTimers timers = new ManualTimers();
        SpeakerSettings settings = new SpeakerSettings(64512, 0x0A000001L, 90, Duration.ofSeconds(30),
                Duration.ofSeconds(5), Duration.ofSeconds(120), false, EnumSet.allOf(AddressFamily.class));
        RibManager rib = new RibManager(settings, 0x0A000001L, ExportPolicy.ACCEPT_ALL, new RecordingRouteListener(),
                timers, Runnable::run);
        PeerConfig config = PeerConfig.builder(InetAddress.getByName("10.0.0.2"), 65002).build();
        PeerContext ctx = new PeerContext(config);
        ctx.fsm = new PeerFsm(settings, config, timers, f -> () -> { }, rib);
        rib.register(ctx);
        // A second peer that receives everything the first one's routes cause.
        PeerConfig other = PeerConfig.builder(InetAddress.getByName("10.0.0.3"), 64512).build();
        PeerContext ctx2 = new PeerContext(other);
        ctx2.fsm = new PeerFsm(settings, other, timers, f -> () -> { }, rib);
        rib.register(ctx2);
        FakeConnection c2 = establish(ctx2, 64512, 0x0A000003L);

        Random random = new Random(SEED + 1);
        List<byte[]> corpus = corpus().stream().filter(b -> b[18] == 2).toList();
        MessageDecoder decoder = new MessageDecoder(true);
        FakeConnection c = establish(ctx, 65002, 0x0A000002L);
        int resets = 0;
        for (int round = 0; round < 5_000; round++) {
            byte[] input = mutate(corpus.get(random.nextInt(corpus.size())), random);
            try {
                ctx.fsm.messageReceived(c, decoder.decode(input));
            } catch (BgpDecodeException e) {
                ctx.fsm.decodeFailed(c, e);
            }
            if (ctx.fsm.state() != SessionState.ESTABLISHED) {
                resets++;
                timers.advance(Duration.ofSeconds(5));
                ctx2.fsm.messageReceived(c2, KeepaliveMessage.INSTANCE);
                c = establish(ctx, 65002, 0x0A000002L);
            }
        }
        assertTrue(resets > 0);
        // The Loc-RIB is consistent with what the peer's Adj-RIB-In holds.
        assertEquals(ctx.adjRibIn.size(), rib.locRib().size());
        assertEquals(SessionState.ESTABLISHED, ctx2.fsm.state());
        assertTrue(c2.sentOf(UpdateMessage.class).size() > 100, "the other peer saw the churn");
    }

    private static FakeConnection establish(PeerContext ctx, long as, long id) {
        ctx.fsm.start();
        FakeConnection c = new FakeConnection(true, new InetSocketAddress("10.0.0.1", 40000),
                new InetSocketAddress(ctx.config.remoteAddress(), 179));
        ctx.fsm.outboundConnected(c);
        ctx.fsm.messageReceived(c, OpenMessage.of(as, 90, id, List.of(new Capability.Multiprotocol(1, 1),
                new Capability.Multiprotocol(2, 1), new Capability.FourOctetAs(as))));
        ctx.fsm.messageReceived(c, KeepaliveMessage.INSTANCE);
        assertEquals(SessionState.ESTABLISHED, ctx.fsm.state(), () -> String.valueOf(ctx.fsm.lastError()));
        return c;
    }
}
