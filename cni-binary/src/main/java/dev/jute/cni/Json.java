package dev.jute.cni;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) parser and compact writer.
 *
 * <p>Parsed values are {@link LinkedHashMap}{@code <String,Object>} (member order kept),
 * {@link ArrayList}{@code <Object>}, {@link String}, {@link Long} (numbers without fraction or
 * exponent that fit in a long), {@link Double} (all other numbers), {@link Boolean} and
 * {@code null}.
 *
 * <p>Strictness, on purpose: only the four JSON whitespace characters, no comments, no trailing
 * commas, no leading zeros, no byte-order mark, no trailing text after the value, no duplicate
 * member names (RFC 8259 leaves their meaning undefined, and two readers picking different
 * duplicates is a classic source of confusion), no unpaired surrogate escapes, nesting at most
 * {@link #MAX_DEPTH} levels (bounds the recursion of this parser).
 *
 * <p>This class is on the start-up path of {@code jute-cni}: it is written without regular
 * expressions, lambdas or streams.
 */
public final class Json {
    /** Deepest nesting of arrays and objects accepted by {@link #parse(String)}. */
    public static final int MAX_DEPTH = 128;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON value that must span the whole text (surrounding whitespace allowed). */
    public static Object parse(String text) throws JsonException {
        if (text == null) {
            throw new JsonException("no JSON text (null)", 0);
        }
        Json parser = new Json(text);
        parser.skipWhitespace();
        if (parser.pos < text.length() && text.charAt(parser.pos) == '\uFEFF') {
            throw parser.error("byte-order mark is not allowed");
        }
        Object value = parser.readValue(0);
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw parser.error("unexpected text after the JSON value");
        }
        return value;
    }

    /** Parses a JSON text that must be an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) throws JsonException {
        Object value = parse(text);
        if (!(value instanceof Map)) {
            throw new JsonException("expected a JSON object but found " + typeName(value), 0);
        }
        return (Map<String, Object>) value;
    }

    /** A short JSON type name of a parsed value, for error messages. */
    public static String typeName(Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Boolean) {
            return "a boolean";
        } else if (value instanceof Number) {
            return "a number";
        } else if (value instanceof Map) {
            return "an object";
        } else if (value instanceof List) {
            return "an array";
        }
        return value.getClass().getName();
    }

    // ------------------------------------------------------------------ parsing

    private Object readValue(int depth) throws JsonException {
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return readObject(depth + 1);
            case '[':
                return readArray(depth + 1);
            case '"':
                return readString();
            case 't':
                expectLiteral("true");
                return Boolean.TRUE;
            case 'f':
                expectLiteral("false");
                return Boolean.FALSE;
            case 'n':
                expectLiteral("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return readNumber();
                }
                throw error("unexpected character " + describe(c) + ", expected a value");
        }
    }

    private Map<String, Object> readObject(int depth) throws JsonException {
        checkDepth(depth);
        pos++; // '{'
        LinkedHashMap<String, Object> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return members;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a member name in double quotes");
            }
            int namePos = pos;
            String name = readString();
            skipWhitespace();
            if (peek() != ':') {
                throw error("expected ':' after member name");
            }
            pos++;
            skipWhitespace();
            Object value = readValue(depth);
            if (members.containsKey(name)) {
                throw new JsonException("duplicate member name \"" + name + "\"" + where(namePos), namePos);
            }
            members.put(name, value);
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return members;
            } else {
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private List<Object> readArray(int depth) throws JsonException {
        checkDepth(depth);
        pos++; // '['
        ArrayList<Object> elements = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return elements;
        }
        while (true) {
            skipWhitespace();
            elements.add(readValue(depth));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return elements;
            } else {
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private String readString() throws JsonException {
        int start = ++pos; // after the opening quote
        StringBuilder sb = null;
        while (true) {
            if (pos >= text.length()) {
                throw new JsonException("unterminated string" + where(start - 1), start - 1);
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String s = sb == null ? text.substring(start, pos) : sb.append(text, start, pos).toString();
                pos++;
                return s;
            } else if (c == '\\') {
                if (sb == null) {
                    sb = new StringBuilder();
                }
                sb.append(text, start, pos);
                readEscape(sb);
                start = pos;
            } else if (c < 0x20) {
                throw error("control character " + describe(c) + " must be escaped in a string");
            } else {
                pos++;
            }
        }
    }

    /** Reads one escape sequence starting at the backslash and appends what it stands for. */
    private void readEscape(StringBuilder sb) throws JsonException {
        int escapePos = pos;
        pos++; // backslash
        if (pos >= text.length()) {
            throw error("unterminated escape sequence");
        }
        char c = text.charAt(pos++);
        switch (c) {
            case '"': sb.append('"'); return;
            case '\\': sb.append('\\'); return;
            case '/': sb.append('/'); return;
            case 'b': sb.append('\b'); return;
            case 'f': sb.append('\f'); return;
            case 'n': sb.append('\n'); return;
            case 'r': sb.append('\r'); return;
            case 't': sb.append('\t'); return;
            case 'u':
                break;
            default:
                throw new JsonException("invalid escape sequence \\" + c + where(escapePos), escapePos);
        }
        char unit = readHex4();
        if (Character.isHighSurrogate(unit)) {
            // A high surrogate must be followed by an escaped low surrogate: together one code point.
            if (pos + 1 < text.length() && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
                pos += 2;
                char low = readHex4();
                if (Character.isLowSurrogate(low)) {
                    sb.append(unit).append(low);
                    return;
                }
            }
            throw new JsonException("unpaired surrogate in \\u escape" + where(escapePos), escapePos);
        } else if (Character.isLowSurrogate(unit)) {
            throw new JsonException("unpaired surrogate in \\u escape" + where(escapePos), escapePos);
        }
        sb.append(unit);
    }

    private char readHex4() throws JsonException {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos), 16);
            if (d < 0 || text.charAt(pos) > 'f') {
                throw error("invalid hex digit in \\u escape");
            }
            v = (v << 4) | d;
            pos++;
        }
        return (char) v;
    }

    private Object readNumber() throws JsonException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        char c = peek();
        if (c == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("leading zeros are not allowed in numbers");
            }
        } else if (c >= '1' && c <= '9') {
            skipDigits();
        } else {
            throw error("expected a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("expected a digit after the decimal point");
            }
            skipDigits();
        }
        c = peek();
        if (c == 'e' || c == 'E') {
            integral = false;
            pos++;
            c = peek();
            if (c == '+' || c == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in the exponent");
            }
            skipDigits();
        }
        String literal = text.substring(start, pos);
        if (integral) {
            // At most 18 digits always fit; longer literals are checked by parseLong.
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException tooLarge) {
                // falls through to double: RFC 8259 lets implementations limit precision
            }
        }
        double d = Double.parseDouble(literal);
        if (Double.isInfinite(d)) {
            throw new JsonException("number " + literal + " is out of range" + where(start), start);
        }
        return d;
    }

    private void skipDigits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void expectLiteral(String literal) throws JsonException {
        if (!text.startsWith(literal, pos)) {
            throw error("invalid literal, expected " + literal);
        }
        pos += literal.length();
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                return;
            }
        }
    }

    /** The current char, or NUL at the end (NUL is never valid where peek is used). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void checkDepth(int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private JsonException error(String message) {
        if (pos >= text.length()) {
            return new JsonException(message + " (at end of input, offset " + pos + ")", pos);
        }
        return new JsonException(message + where(pos), pos);
    }

    /** " at line L column C (offset N)" for messages that humans read. */
    private String where(int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return " at line " + line + " column " + (offset - lineStart + 1) + " (offset " + offset + ")";
    }

    private static String describe(char c) {
        if (c >= 0x20 && c < 0x7f) {
            return "'" + c + "'";
        }
        return "U+" + hex4(c);
    }

    private static String hex4(int c) {
        String h = Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT);
        return "0000".substring(h.length()) + h;
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes a value as compact JSON. Accepts Map (String keys), Iterable, String, Boolean,
     * integral numbers, finite floating point numbers, BigInteger/BigDecimal and null.
     */
    public static String write(Object value) throws JsonException {
        StringBuilder sb = new StringBuilder(256);
        write(value, sb, 0);
        return sb.toString();
    }

    private static void write(Object value, StringBuilder sb, int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw new JsonException("value nested deeper than " + MAX_DEPTH + " levels (cyclic?)", -1);
        }
        if (value == null) {
            sb.append("null");
        } else if (value instanceof String s) {
            writeString(s, sb);
        } else if (value instanceof Boolean b) {
            sb.append(b.booleanValue() ? "true" : "false");
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            sb.append(value.toString());
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new JsonException("JSON has no representation for " + d, -1);
            }
            sb.append(value.toString());
        } else if (value instanceof Map<?, ?> map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new JsonException("JSON object keys must be strings, found " + typeName(e.getKey()), -1);
                }
                if (!first) {
                    sb.append(',');
                }
                first = false;
                writeString(key, sb);
                sb.append(':');
                write(e.getValue(), sb, depth + 1);
            }
            sb.append('}');
        } else if (value instanceof Iterable<?> list) {
            sb.append('[');
            boolean first = true;
            for (Object element : list) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                write(element, sb, depth + 1);
            }
            sb.append(']');
        } else if (value instanceof BigInteger || value instanceof BigDecimal) {
            // Tested last: instanceof loads the class, and jute-cni never writes these.
            sb.append(value.toString());
        } else {
            throw new JsonException("cannot write a " + value.getClass().getName() + " as JSON", -1);
        }
    }

    private static void writeString(String s, StringBuilder sb) throws JsonException {
        sb.append('"');
        int runStart = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String escape;
            if (c == '"') {
                escape = "\\\"";
            } else if (c == '\\') {
                escape = "\\\\";
            } else if (c >= 0x20) {
                if (Character.isSurrogate(c)) {
                    boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1));
                    if (!paired) {
                        throw new JsonException("string contains an unpaired surrogate at index " + i, -1);
                    }
                    i++; // keep the pair as is
                }
                continue;
            } else if (c == '\n') {
                escape = "\\n";
            } else if (c == '\r') {
                escape = "\\r";
            } else if (c == '\t') {
                escape = "\\t";
            } else if (c == '\b') {
                escape = "\\b";
            } else if (c == '\f') {
                escape = "\\f";
            } else {
                escape = "\\u" + hex4(c).toLowerCase(java.util.Locale.ROOT);
            }
            sb.append(s, runStart, i).append(escape);
            runStart = i + 1;
        }
        sb.append(s, runStart, s.length()).append('"');
    }
}
