package dev.jute.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Test
    void parsesEveryValueType() throws Exception {
        Map<String, Object> o = Json.parseObject(
                " {\"s\":\"x\",\"i\":-42,\"d\":1.5,\"e\":1E3,\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[],{}],\"o\":{}} \n");
        assertInstanceOf(LinkedHashMap.class, o);
        assertEquals(List.of("s", "i", "d", "e", "t", "f", "n", "a", "o"), new ArrayList<>(o.keySet()));
        assertEquals("x", o.get("s"));
        assertEquals(-42L, o.get("i"));
        assertEquals(1.5, o.get("d"));
        assertEquals(1000.0, o.get("e"));
        assertEquals(Boolean.TRUE, o.get("t"));
        assertEquals(Boolean.FALSE, o.get("f"));
        assertTrue(o.containsKey("n"));
        assertNull(o.get("n"));
        assertInstanceOf(ArrayList.class, o.get("a"));
        assertEquals(List.of(1L, List.of(), Map.of()), o.get("a"));
    }

    @Test
    void scalarsAtTopLevel() throws Exception {
        assertEquals("a", Json.parse("\"a\""));
        assertEquals(0L, Json.parse("0"));
        assertEquals(-0.0, Json.parse("-0.0"));
        assertNull(Json.parse("null"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        // beyond long: a double, as RFC 8259 permits
        assertEquals(9.223372036854775808E18, Json.parse("9223372036854775808"));
        assertEquals(1.0E-7, Json.parse("1e-7"));
        assertEquals(25.0, Json.parse("2.5E+1"));
    }

    @Test
    void stringEscapes() throws Exception {
        assertEquals("\"\\/\b\f\n\r\t\u00e9", Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00E9\""));
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""));
        assertEquals("h\u00e9llo \uD83D\uDE00", Json.parse("\"h\u00e9llo \uD83D\uDE00\""));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "   ", "{", "}", "[", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}",
            "01", "-", "-01", "1.", ".5", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "tru", "nul", "True",
            "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"a\nb\"", "\"a\u0000b\"", "{\"a\":1}x", "[] []",
            "\uFEFF{}", "/*c*/{}", "{} // c", "1e999", "{\"a\":1,\"a\":2}", "\"\\ud800\"", "\"\\udc00\"",
            "\"\\ud800\\u0041\"", "\u00a0{}", "[1,\"a\":2]"
    })
    void rejectsMalformed(String text) {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text));
        assertTrue(e.position() >= 0 && e.position() <= text.length(), "position " + e.position());
    }

    @Test
    void errorCarriesPositionAndLine() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\n  \"a\": [1, 2,, 3]\n}"));
        assertEquals(15, e.position());
        assertTrue(e.getMessage().contains("line 2 column 14"), e.getMessage());

        JsonException dup = assertThrows(JsonException.class, () -> Json.parse("{\"k\":1, \"k\":2}"));
        assertTrue(dup.getMessage().contains("duplicate member name \"k\""), dup.getMessage());
        assertEquals(8, dup.position());

        JsonException trailing = assertThrows(JsonException.class, () -> Json.parse("{} x"));
        assertEquals(3, trailing.position());
    }

    @Test
    void nestingIsBounded() throws Exception {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Json.parse(ok);
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nesting"), e.getMessage());
        // a hostile document cannot overflow the stack
        assertThrows(JsonException.class, () -> Json.parse("{\"a\":".repeat(100_000)));
    }

    @Test
    void parseObjectRejectsOtherTopLevelValues() {
        assertThrows(JsonException.class, () -> Json.parseObject("[1]"));
        assertThrows(JsonException.class, () -> Json.parseObject("null"));
    }

    @Test
    void writesCompactWithEscapes() throws Exception {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        m.put("s", "q\"b\\s/\n\r\t\b\f\u0001\u001f\u007f\u00e9\uD83D\uDE00");
        m.put("l", 7L);
        m.put("i", 3);
        m.put("d", 1.5);
        m.put("b", true);
        m.put("n", null);
        m.put("a", List.of(1, "x", Map.of()));
        m.put("bd", new BigDecimal("12.50"));
        assertEquals("{\"s\":\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\u007f\u00e9\uD83D\uDE00\",\"l\":7,\"i\":3,"
                + "\"d\":1.5,\"b\":true,\"n\":null,\"a\":[1,\"x\",{}],\"bd\":12.50}", Json.write(m));
    }

    @Test
    void writeThenParseRoundTrips() throws Exception {
        String text = "{\"a\":[1,-2,3.25,\"\\u0000\\\"\",{\"b\":null,\"c\":[true,false]}],\"e\":\"\uD83D\uDE00\"}";
        Object parsed = Json.parse(text);
        assertEquals(parsed, Json.parse(Json.write(parsed)));
        assertEquals(text, Json.write(parsed));
    }

    @Test
    void writeRejectsWhatJsonCannotCarry() {
        assertThrows(JsonException.class, () -> Json.write(Double.NaN));
        assertThrows(JsonException.class, () -> Json.write(Double.POSITIVE_INFINITY));
        assertThrows(JsonException.class, () -> Json.write(Map.of(1, "x")));
        assertThrows(JsonException.class, () -> Json.write("\uD800"));
        assertThrows(JsonException.class, () -> Json.write(new Object()));
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        assertThrows(JsonException.class, () -> Json.write(cyclic));
    }
}
