package io.moeoperator.engine.json;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Reads a {@link Json.Deferred} value piece by piece, as strictly as {@link Json#parse}: a caller
 * walks an object's keys or an array's elements and builds what it needs from them directly.
 *
 * <pre>{@code
 * JsonReader r = deferred.reader();
 * r.beginObject();
 * while (r.hasNext()) {
 *     String key = r.nextName();
 *     Object value = r.nextValue(); // as Json.parse makes it: Long, String, Map, ...
 * }
 * r.end();
 * }</pre>
 */
public final class JsonReader {
    private final Json p;
    private final int end;
    private final int entries;
    /** The closing bracket of each open container, innermost first. */
    private final Deque<Character> closers = new ArrayDeque<>();
    private boolean first;

    JsonReader(Json p, int end, int entries) {
        this.p = p;
        this.end = end;
        this.entries = entries;
    }

    /** How many keys or elements the value read has at its top level: for sizing what it fills. */
    public int entries() {
        return entries;
    }

    public void beginObject() {
        begin('{', '}');
    }

    public void beginArray() {
        begin('[', ']');
    }

    private void begin(char open, char close) {
        p.skipSpace();
        p.expect(open);
        closers.push(close);
        first = true;
    }

    /**
     * Whether the current object or array has another entry (the comma before it is consumed); at
     * its closing bracket, consumes that and answers false.
     */
    public boolean hasNext() {
        if (closers.isEmpty()) {
            throw new IllegalStateException("no object or array is open");
        }
        p.skipSpace();
        char ch = p.peek();
        if (ch == closers.peek()) {
            p.pos++;
            closers.pop();
            first = false;
            return false;
        }
        if (!first) {
            if (ch != ',') {
                throw p.error("expected ',' or '" + closers.peek() + "'");
            }
            p.pos++;
            p.skipSpace();
        }
        first = false;
        return true;
    }

    /** An object's next key, and the colon after it. */
    public String nextName() {
        if (p.peek() != '"') {
            throw p.error("expected a key string");
        }
        String key = p.string();
        p.skipSpace();
        p.expect(':');
        p.skipSpace();
        return key;
    }

    /** The first character of the next value: '{', '[', '"', a digit, '-', 't', 'f' or 'n'. */
    public char peek() {
        p.skipSpace();
        return p.peek();
    }

    /** The next value, whole, as {@link Json#parse} makes it. */
    public Object nextValue() {
        p.skipSpace();
        return p.value();
    }

    /** Where the reader is: an offset into the whole document (for a message's line and column). */
    public int offset() {
        return p.pos;
    }

    /** Checks that the deferred value has been read to its end. */
    public void end() {
        if (!closers.isEmpty() || p.pos != end) {
            throw p.error("the value is not read to its end");
        }
    }

    /** An error at {@code offset} (from {@link #offset()}), for JSON the caller does not accept: a repeated key. */
    public InvalidJsonException errorAt(int offset, String what) {
        return new InvalidJsonException(offset, what);
    }
}
