package io.moeoperator.engine.tokenizer;

/**
 * The kind of a vocabulary entry, numbered as in GGUF's {@code tokenizer.ggml.token_type} array
 * (llama.cpp's {@code llama_token_type}). The kind decides how a token is matched in text and how
 * it renders: only NORMAL tokens are byte-level encoded; CONTROL and UNKNOWN render as nothing
 * unless special tokens are asked for; USER_DEFINED render as their literal text.
 */
public enum TokenType {
    UNDEFINED(0),
    NORMAL(1),
    UNKNOWN(2),
    CONTROL(3),
    USER_DEFINED(4),
    UNUSED(5),
    BYTE(6);

    private final int ggufId;

    TokenType(int ggufId) {
        this.ggufId = ggufId;
    }

    /** The number stored in {@code tokenizer.ggml.token_type}. */
    public int ggufId() {
        return ggufId;
    }

    /** Maps a GGUF token type; values outside 0..6 become UNDEFINED, as llama.cpp does. */
    public static TokenType fromGguf(int id) {
        for (TokenType t : values()) {
            if (t.ggufId == id) {
                return t;
            }
        }
        return UNDEFINED;
    }
}
