package io.moeoperator.engine.tokenizer;

import java.util.List;

/**
 * A vocabulary made by {@link BpeTrainer}, in the form GGUF stores it: token texts in GPT-2 byte
 * characters (index = id), merge lines in rank order, and one type per token.
 */
public record TrainedVocab(List<String> tokens, List<String> merges, List<TokenType> tokenTypes) {
    public TrainedVocab {
        tokens = List.copyOf(tokens);
        merges = List.copyOf(merges);
        tokenTypes = List.copyOf(tokenTypes);
    }

    /** The types as GGUF's {@code tokenizer.ggml.token_type} numbers. */
    public int[] ggufTokenTypes() {
        return tokenTypes.stream().mapToInt(TokenType::ggufId).toArray();
    }

    /** The id of a token text, or -1. */
    public int idOf(String tokenText) {
        return tokens.indexOf(tokenText);
    }

    /** A tokenizer over this vocabulary. */
    public BpeTokenizer tokenizer(PreTokenizer pre, SpecialTokens specials) {
        return BpeTokenizer.create(tokens, tokenTypes, merges, pre, specials);
    }
}
