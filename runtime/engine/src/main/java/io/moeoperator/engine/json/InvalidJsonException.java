package io.moeoperator.engine.json;

/**
 * A document that is not JSON, or not JSON that {@link Json} accepts (a duplicate key, nesting too
 * deep). The offset lets a reader of a text file say where in its terms (line and column).
 */
public final class InvalidJsonException extends IllegalArgumentException {
    private final int offset;
    private final String reason;

    InvalidJsonException(int offset, String reason) {
        super("invalid JSON at character " + offset + ": " + reason);
        this.offset = offset;
        this.reason = reason;
    }

    /** Where the parser stopped: the index of the offending character in the text parsed. */
    public int offset() {
        return offset;
    }

    /** What was wrong, without the position: "duplicate key \"version\"". */
    public String reason() {
        return reason;
    }
}
