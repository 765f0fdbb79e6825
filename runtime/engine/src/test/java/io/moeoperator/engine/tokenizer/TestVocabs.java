package io.moeoperator.engine.tokenizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Small hand-made vocabularies for tests. */
final class TestVocabs {
    private TestVocabs() {}

    /** The GPT-2 character for a byte, as a one-character token text. */
    static String b(int unsignedByte) {
        return String.valueOf(ByteLevel.charOf(unsignedByte));
    }

    /**
     * All 256 byte tokens (id = byte value), then the given extra tokens, with the given merges, so
     * that any text can be encoded.
     */
    static BpeTokenizer byteComplete(PreTokenizer pre, List<String> extraTokens, List<String> merges) {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            tokens.add(b(i));
        }
        tokens.addAll(extraTokens);
        List<TokenType> types = new ArrayList<>(Collections.nCopies(tokens.size(), TokenType.NORMAL));
        return BpeTokenizer.create(tokens, types, merges, pre, SpecialTokens.of(-1, -1, false));
    }

    static List<TokenType> normal(int n) {
        return new ArrayList<>(Collections.nCopies(n, TokenType.NORMAL));
    }
}
