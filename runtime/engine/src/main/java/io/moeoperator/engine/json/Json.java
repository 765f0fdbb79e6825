package io.moeoperator.engine.json;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A strict RFC 8259 JSON reader and writer for the files of a model directory (config.json, the
 * safetensors index and headers, tokenizer.json and its companions): objects become {@link Map}s in
 * file order, arrays {@link List}s, integers {@link Long}, other numbers {@link Double}, {@code null}
 * Java null. Duplicate keys, trailing data and nesting deeper than {@value #MAX_DEPTH} are errors
 * ({@link InvalidJsonException}, with the offset). Being the engine's own, it costs a fresh JVM a
 * handful of classes where Jackson's first use loads several hundred.
 */
public final class Json {
    static final int MAX_DEPTH = 64;

    final String text;
    int pos;
    private int depth;
    /** Dotted key paths from the root whose values are left unparsed; empty for a whole tree. */
    private final Set<String> deferred;

    Json(String text, int pos, Set<String> deferred) {
        this.text = text;
        this.pos = pos;
        this.deferred = deferred;
    }

    /** Parses one JSON document; throws {@link InvalidJsonException} saying what and where. */
    public static Object parse(String text) {
        return parse(text, Set.of());
    }

    /**
     * Parses one JSON document but leaves the values at {@code deferred} (dotted paths of object
     * keys from the root, such as "model.vocab") as {@link Deferred} text, to be read with a
     * {@link JsonReader} straight into the structure the caller needs: a tokenizer.json's 128,000
     * vocabulary entries and merges then never become a tree of maps and boxed numbers first. A
     * deferred value's extent is found here; its syntax is checked as it is read.
     */
    public static Object parse(String text, Set<String> deferred) {
        Json p = new Json(text, 0, deferred);
        p.skipSpace();
        Object v = p.value(deferred.isEmpty() ? null : "");
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected data after the document");
        }
        return v;
    }

    /**
     * A value left as text by {@link #parse(String, Set)}: read it with {@link #reader()}.
     *
     * @param start   the offset of its first character in the document, end that past its last
     * @param entries an object's keys or an array's elements (commas at its top level plus one), so
     *                that a reader can size what it fills; 0 for an empty one or a scalar
     */
    public record Deferred(String text, int start, int end, int entries) {
        public JsonReader reader() {
            return new JsonReader(new Json(text, start, Set.of()), end, entries);
        }

        /** Whether it is an object ('{'), array ('['), and so on: its first character. */
        public char first() {
            return text.charAt(start);
        }

        /** The value as written, cut short when long (for messages). */
        @Override
        public String toString() {
            return end - start > 80 ? text.substring(start, start + 77) + "..." : text.substring(start, end);
        }
    }

    /** A value; {@code path} is its key path when values below it may be deferred, else null. */
    private Object value(String path) {
        if (path != null && deferred.contains(path)) {
            int start = pos;
            int entries = skipValue();
            return new Deferred(text, start, pos, entries);
        }
        return path == null ? value() : switch (peek()) {
            case '{' -> object(path);
            default -> value();
        };
    }

    Object value() {
        if (pos >= text.length()) {
            throw error("unexpected end of the document");
        }
        char ch = text.charAt(pos);
        return switch (ch) {
            case '{' -> object(null);
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (ch == '-' || (ch >= '0' && ch <= '9')) {
                    yield number();
                }
                throw error("unexpected character '" + ch + "'");
            }
        };
    }

    private Map<String, Object> object(String path) {
        enter();
        pos++;
        Map<String, Object> map = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            depth--;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("expected a key string");
            }
            int keyAt = pos;
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            int size = map.size();
            map.put(key, value(path == null ? null : below(path, key)));
            if (map.size() == size) {
                pos = keyAt;
                throw error("duplicate key \"" + key + "\"");
            }
            skipSpace();
            char ch = next();
            if (ch == '}') {
                depth--;
                return Collections.unmodifiableMap(map);
            }
            if (ch != ',') {
                pos--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array() {
        enter();
        pos++;
        List<Object> list = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            depth--;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipSpace();
            list.add(value());
            skipSpace();
            char ch = next();
            if (ch == ']') {
                depth--;
                return Collections.unmodifiableList(list);
            }
            if (ch != ',') {
                pos--;
                throw error("expected ',' or ']'");
            }
        }
    }

    String string() {
        pos++; // opening quote
        // Most strings (tensor names, keys) have no escapes: take them whole.
        for (int end = pos; end < text.length(); end++) {
            char ch = text.charAt(end);
            if (ch == '"') {
                String whole = text.substring(pos, end);
                pos = end + 1;
                return whole;
            }
            if (ch == '\\' || ch < 0x20) {
                break;
            }
        }
        StringBuilder b = new StringBuilder();
        while (true) {
            char ch = next();
            if (ch == '"') {
                return b.toString();
            }
            if (ch < 0x20) {
                pos--;
                throw error("control character in a string");
            }
            if (ch != '\\') {
                b.append(ch);
                continue;
            }
            char esc = next();
            switch (esc) {
                case '"', '\\', '/' -> b.append(esc);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw error("truncated \\u escape");
                    }
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        char hex = text.charAt(pos + i);
                        int digit = hex < 0x80 ? Character.digit(hex, 16) : -1;
                        if (digit < 0) {
                            throw error("bad \\u escape");
                        }
                        code = code * 16 + digit;
                    }
                    b.append((char) code);
                    pos += 4;
                }
                default -> {
                    pos--;
                    throw error("bad escape '\\" + esc + "'");
                }
            }
        }
    }

    /** The path of key under path if some deferred path is it or lies below it, else null. */
    private String below(String path, String key) {
        String child = path.isEmpty() ? key : path + "." + key;
        for (String d : deferred) {
            if (d.equals(child) || d.startsWith(child + ".")) {
                return child;
            }
        }
        return null;
    }

    /**
     * Moves past one value without building it: strings to their closing quote, objects and arrays
     * to their closing bracket. What lies between is checked when a {@link JsonReader} reads it.
     * Returns the number of entries of an object or array (see {@link Deferred#entries}).
     */
    private int skipValue() {
        char first = peek();
        if (first != '{' && first != '[') {
            if (first == '"') {
                pos++;
                skipString();
                return 0;
            }
            // A number or a literal: the reader of the deferred value judges it.
            while (pos < text.length() && ",}] \t\n\r".indexOf(text.charAt(pos)) < 0) {
                pos++;
            }
            return 0;
        }
        int open = 0;
        int commas = 0;
        boolean empty = true;
        do {
            if (pos >= text.length()) {
                throw error("unexpected end of the document");
            }
            char ch = text.charAt(pos++);
            switch (ch) {
                case '"' -> skipString();
                case '{', '[' -> {
                    if (++open > MAX_DEPTH) {
                        pos--;
                        throw error("nested deeper than " + MAX_DEPTH + " levels");
                    }
                }
                case '}', ']' -> open--;
                case ',' -> commas += open == 1 ? 1 : 0;
                default -> { }
            }
            if (open == 1 && ch != '{' && ch != '[' && ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
                empty = false;
            }
        } while (open > 0);
        return empty && commas == 0 ? 0 : commas + 1;
    }

    private void skipString() {
        while (true) {
            if (pos >= text.length()) {
                throw error("unexpected end of the document");
            }
            char ch = text.charAt(pos++);
            if (ch == '"') {
                return;
            }
            if (ch == '\\') {
                pos++;
            }
        }
    }

    private Object number() {
        int start = pos;
        boolean negative = peek() == '-';
        if (negative) {
            pos++;
        }
        int digits = pos;
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("bad number");
        }
        int digitsEnd = pos;
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("bad number");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("bad number");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (integral && digitsEnd - digits <= 18) {
            // A tokenizer.json holds a few hundred thousand ids: add them up rather than cut and parse.
            long v = 0;
            for (int i = digits; i < digitsEnd; i++) {
                v = v * 10 + (text.charAt(i) - '0');
            }
            return negative ? -v : v;
        }
        String s = text.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException tooLong) {
                return Double.parseDouble(s);
            }
        }
        return Double.parseDouble(s);
    }

    private Object literal(String word, Object v) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected character '" + text.charAt(pos) + "'");
        }
        pos += word.length();
        return v;
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH + " levels");
        }
    }

    private static boolean isDigit(char ch) {
        return ch >= '0' && ch <= '9';
    }

    char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    char next() {
        if (pos >= text.length()) {
            throw error("unexpected end of the document");
        }
        return text.charAt(pos++);
    }

    void expect(char ch) {
        if (next() != ch) {
            pos--;
            throw error("expected '" + ch + "'");
        }
    }

    void skipSpace() {
        while (pos < text.length()) {
            char ch = text.charAt(pos);
            if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
                return;
            }
            pos++;
        }
    }

    InvalidJsonException error(String what) {
        return new InvalidJsonException(pos, what);
    }

    /**
     * Writes maps, lists, strings, numbers, booleans and null as JSON, objects one key per line
     * (as save_pretrained writes config.json). Floats are written with their shortest decimal form.
     */
    public static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(value, b, "");
        return b.append('\n').toString();
    }

    /** Writes a value on one line without spaces, as a message quotes it: {"type":"BPE","dropout":0.1}. */
    public static String writeCompact(Object value) {
        StringBuilder b = new StringBuilder();
        write(value, b, null);
        return b.toString();
    }

    /** @param indent the indentation of the line the value is on; null for compact */
    private static void write(Object v, StringBuilder b, String indent) {
        switch (v) {
            case null -> b.append("null");
            case String s -> b.append(quote(s));
            case Boolean bool -> b.append(bool);
            case Float f -> b.append(finite(f.doubleValue(), Float.toString(f)));
            case Double d -> b.append(finite(d, Double.toString(d)));
            case Number n -> b.append(n.longValue());
            case Map<?, ?> m when indent == null -> {
                b.append('{');
                int i = 0;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    b.append(i++ > 0 ? "," : "").append(quote((String) e.getKey())).append(':');
                    write(e.getValue(), b, null);
                }
                b.append('}');
            }
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    b.append("{}");
                    return;
                }
                String inner = indent + "  ";
                b.append("{\n");
                int i = 0;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    b.append(inner).append(quote((String) e.getKey())).append(": ");
                    write(e.getValue(), b, inner);
                    b.append(++i < m.size() ? ",\n" : "\n");
                }
                b.append(indent).append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    write(l.get(i), b, indent);
                    b.append(i + 1 == l.size() ? "" : indent == null ? "," : ", ");
                }
                b.append(']');
            }
            default -> throw new IllegalArgumentException("cannot write " + v.getClass().getSimpleName() + " as JSON");
        }
    }

    private static String finite(double d, String text) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no " + d);
        }
        return text;
    }

    /** A JSON string literal: quotes, backslashes and control characters escaped, the rest as is. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
