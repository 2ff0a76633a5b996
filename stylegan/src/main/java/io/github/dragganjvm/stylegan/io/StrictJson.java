package io.github.dragganjvm.stylegan.io;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and string writer for the safetensors header and our metadata values.
 *
 * <p>Reading takes UTF-8 bytes and builds plain Java values: an object is a {@code LinkedHashMap<String, Object>}
 * (members in file order), an array an {@code ArrayList<Object>}, a string a {@code String}, {@code true}/{@code false}
 * a {@code Boolean}, {@code null} Java null, and a number either a {@code Long} (an integer literal, no fraction or
 * exponent, that fits in 64 bits) or a {@link Num} holding the literal text (anything else). Nothing beyond the RFC is
 * accepted: duplicate keys in an object, bytes after the value (other than whitespace), comments, NaN/Infinity, leading
 * zeros, single quotes, control characters in strings, invalid UTF-8 and unpaired surrogate escapes are all errors.
 * Nesting depth and the total number of values are bounded, so a hostile input can neither overflow the stack nor
 * make the value tree much larger than a fixed budget. Errors are {@link JsonException}s with a one-line message
 * giving the byte position.
 */
final class StrictJson {
    private StrictJson() {}

    /** A number literal that is not a 64-bit integer (it has a fraction or exponent, or is too large). */
    record Num(String text) {
        /** The literal as a double (may be infinite for a literal beyond the double range). */
        double toDouble() { return Double.parseDouble(text); }

        /** True for an integer literal (no fraction, no exponent) that did not fit in a long. */
        boolean isBigInteger() { return text.indexOf('.') < 0 && text.indexOf('e') < 0 && text.indexOf('E') < 0; }
    }

    /** Malformed or over-limit JSON; the message is one line and gives the byte position. */
    static final class JsonException extends Exception {
        private static final long serialVersionUID = 1L;

        JsonException(String message) { super(message); }
    }

    /** The longest number literal accepted, in characters. */
    static final int MAX_NUMBER_CHARS = 1000;

    /**
     * Parses bytes[from, to) as one JSON value.
     *
     * @param maxDepth  the deepest nesting of objects and arrays allowed (1: a flat object)
     * @param maxValues the most values (including object keys) the document may hold
     */
    static Object parse(byte[] bytes, int from, int to, int maxDepth, long maxValues) throws JsonException {
        Parser p = new Parser(bytes, from, to, maxDepth, maxValues);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos != to) throw p.error("unexpected " + p.describe(p.pos) + " after the end of the JSON value");
        return v;
    }

    /** Parses a whole string (UTF-8 encoded first); see {@link #parse(byte[], int, int, int, long)}. */
    static Object parse(String s, int maxDepth, long maxValues) throws JsonException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return parse(b, 0, b.length, maxDepth, maxValues);
    }

    private static final class Parser {
        final byte[] b;
        final int from, end, maxDepth;
        final long maxValues;
        long values;
        int pos;
        final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

        Parser(byte[] b, int from, int end, int maxDepth, long maxValues) {
            this.b = b;
            this.from = from;
            this.end = end;
            this.pos = from;
            this.maxDepth = maxDepth;
            this.maxValues = maxValues;
        }

        JsonException error(String what) { return new JsonException(what + " at byte " + (pos - from)); }

        String describe(int at) {
            if (at >= end) return "end of input";
            int c = b[at] & 0xff;
            return c >= 0x20 && c < 0x7f ? "'" + (char) c + "'" : String.format("byte 0x%02x", c);
        }

        void skipWhitespace() {
            while (pos < end) {
                byte c = b[pos];
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
                else break;
            }
        }

        void count() throws JsonException {
            if (++values > maxValues) throw error("more than " + maxValues + " JSON values");
        }

        Object value(int depth) throws JsonException {
            if (pos >= end) throw error("unexpected end of input where a value was expected");
            count();
            byte c = b[pos];
            return switch (c) {
                case '{' -> object(depth + 1);
                case '[' -> array(depth + 1);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || c >= '0' && c <= '9') yield number();
                    throw error("unexpected " + describe(pos) + " where a value was expected");
                }
            };
        }

        Object literal(String word, Object v) throws JsonException {
            for (int i = 0; i < word.length(); i++) {
                if (pos + i >= end || b[pos + i] != word.charAt(i)) throw error("invalid literal (expected '" + word + "')");
            }
            pos += word.length();
            return v;
        }

        Map<String, Object> object(int depth) throws JsonException {
            if (depth > maxDepth) throw error("objects and arrays nested deeper than " + maxDepth + " levels");
            pos++;  // '{'
            Map<String, Object> m = new LinkedHashMap<>();
            skipWhitespace();
            if (pos < end && b[pos] == '}') {
                pos++;
                return m;
            }
            while (true) {
                skipWhitespace();
                if (pos >= end || b[pos] != '"') throw error("expected a string key but found " + describe(pos));
                int keyAt = pos;
                count();
                String key = string();
                skipWhitespace();
                if (pos >= end || b[pos] != ':') throw error("expected ':' after a key but found " + describe(pos));
                pos++;
                skipWhitespace();
                Object v = value(depth);
                if (m.containsKey(key)) {
                    pos = keyAt;
                    throw error("duplicate key " + quoteForMessage(key));
                }
                m.put(key, v);
                skipWhitespace();
                if (pos < end && b[pos] == ',') {
                    pos++;
                } else if (pos < end && b[pos] == '}') {
                    pos++;
                    return m;
                } else {
                    throw error("expected ',' or '}' in an object but found " + describe(pos));
                }
            }
        }

        List<Object> array(int depth) throws JsonException {
            if (depth > maxDepth) throw error("objects and arrays nested deeper than " + maxDepth + " levels");
            pos++;  // '['
            List<Object> a = new ArrayList<>();
            skipWhitespace();
            if (pos < end && b[pos] == ']') {
                pos++;
                return a;
            }
            while (true) {
                skipWhitespace();
                a.add(value(depth));
                skipWhitespace();
                if (pos < end && b[pos] == ',') {
                    pos++;
                } else if (pos < end && b[pos] == ']') {
                    pos++;
                    return a;
                } else {
                    throw error("expected ',' or ']' in an array but found " + describe(pos));
                }
            }
        }

        String string() throws JsonException {
            int start = pos;
            pos++;  // opening quote
            StringBuilder sb = null;
            int run = pos;  // start of the current run of raw bytes
            while (true) {
                if (pos >= end) {
                    pos = start;
                    throw error("unterminated string");
                }
                int c = b[pos] & 0xff;
                if (c == '"') {
                    String tail = decode(run, pos);
                    pos++;
                    if (sb == null) return tail;
                    return sb.append(tail).toString();
                }
                if (c < 0x20) throw error(String.format("control character 0x%02x in a string (must be escaped)", c));
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (sb == null) sb = new StringBuilder();
                sb.append(decode(run, pos));
                pos++;
                if (pos >= end) throw error("unterminated escape");
                char e = (char) (b[pos] & 0xff);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        char u = hex4(pos + 1);
                        pos += 4;
                        if (Character.isHighSurrogate(u)) {
                            if (pos + 6 >= end || b[pos + 1] != '\\' || b[pos + 2] != 'u') throw error("unpaired surrogate escape \\u" + hex(u));
                            char low = hex4(pos + 3);
                            if (!Character.isLowSurrogate(low)) throw error("unpaired surrogate escape \\u" + hex(u));
                            sb.append(u).append(low);
                            pos += 6;
                        } else if (Character.isLowSurrogate(u)) {
                            throw error("unpaired surrogate escape \\u" + hex(u));
                        } else {
                            sb.append(u);
                        }
                    }
                    default -> throw error("invalid escape " + describe(pos));
                }
                pos++;
                run = pos;
            }
        }

        private static String hex(char c) { return String.format("%04x", (int) c); }

        char hex4(int at) throws JsonException {
            if (at + 4 > end) throw error("truncated \\u escape");
            int v = 0;
            for (int i = at; i < at + 4; i++) {
                int d = Character.digit(b[i] & 0xff, 16);
                if (d < 0 || (b[i] & 0xff) > 0x7f) throw error("invalid hex digit in a \\u escape");
                v = v * 16 + d;
            }
            return (char) v;
        }

        String decode(int s, int e) throws JsonException {
            if (s == e) return "";
            boolean ascii = true;
            for (int i = s; i < e; i++) if (b[i] < 0) { ascii = false; break; }
            if (ascii) return new String(b, s, e - s, StandardCharsets.ISO_8859_1);
            try {
                return utf8.reset().decode(ByteBuffer.wrap(b, s, e - s)).toString();
            } catch (CharacterCodingException ex) {
                pos = s;
                throw error("invalid UTF-8 in a string");
            }
        }

        Object number() throws JsonException {
            int start = pos;
            if (b[pos] == '-') pos++;
            if (pos >= end || !digit(b[pos])) throw error("invalid number: no digit after '-'");
            if (b[pos] == '0') {
                pos++;
                if (pos < end && digit(b[pos])) throw error("invalid number: leading zero");
            } else {
                while (pos < end && digit(b[pos])) pos++;
            }
            boolean integer = true;
            if (pos < end && b[pos] == '.') {
                integer = false;
                pos++;
                if (pos >= end || !digit(b[pos])) throw error("invalid number: no digit after '.'");
                while (pos < end && digit(b[pos])) pos++;
            }
            if (pos < end && (b[pos] == 'e' || b[pos] == 'E')) {
                integer = false;
                pos++;
                if (pos < end && (b[pos] == '+' || b[pos] == '-')) pos++;
                if (pos >= end || !digit(b[pos])) throw error("invalid number: no digit in the exponent");
                while (pos < end && digit(b[pos])) pos++;
            }
            if (pos - start > MAX_NUMBER_CHARS) {
                pos = start;
                throw error("number literal longer than " + MAX_NUMBER_CHARS + " characters");
            }
            String text = new String(b, start, pos - start, StandardCharsets.ISO_8859_1);
            if (integer && pos - start <= 20) {
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException tooLarge) {
                    // fall through: kept as text
                }
            }
            return new Num(text);
        }

        private static boolean digit(byte c) { return c >= '0' && c <= '9'; }
    }

    // ------------------------------------------------------------------ writing

    /**
     * Appends s as a JSON string literal: quote, backslash and control characters escaped, everything else as is (the
     * caller encodes the result as UTF-8).
     *
     * @throws IllegalArgumentException when s holds an unpaired surrogate (it has no UTF-8 encoding)
     */
    static StringBuilder appendString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        throw new IllegalArgumentException("string " + quoteForMessage(s) + " holds an unpaired surrogate at index " + i
                                + " (it has no UTF-8 encoding)");
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }

    /**
     * s quoted for an error message: one line (control and non-ASCII characters escaped as in JSON), cut after 120
     * characters.
     */
    static String quoteForMessage(String s) {
        StringBuilder sb = new StringBuilder("'");
        int n = Math.min(s.length(), 120);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f) sb.append(c);
            else sb.append(String.format("\\u%04x", (int) c));
        }
        if (s.length() > n) sb.append("...");
        return sb.append('\'').toString();
    }
}
