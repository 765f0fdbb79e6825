package io.moeoperator.engine.synth;

import io.moeoperator.engine.gguf.GgufWriter;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import io.moeoperator.engine.tokenizer.BpeTrainer;
import io.moeoperator.engine.tokenizer.ByteLevel;
import io.moeoperator.engine.tokenizer.PreTokenizer;
import io.moeoperator.engine.tokenizer.SpecialTokens;
import io.moeoperator.engine.tokenizer.TokenType;
import io.moeoperator.engine.tokenizer.TrainedVocab;
import java.util.ArrayList;
import java.util.List;

/**
 * A synthetic model's vocabulary. {@link #build} makes the default: a byte-level BPE with all 256
 * byte tokens, so any UTF-8 text encodes, and merges trained on a built-in corpus (mostly English),
 * plus DeepSeek's BOS/EOS control tokens. Any other gpt2-style vocabulary can be given instead.
 * What a synthetic model writes is another matter: see {@link #writesText(int)}.
 *
 * @param tokenTypes GGUF token types (1 normal, 3 control, 4 user-defined, ...)
 */
public record SyntheticVocab(List<String> tokens, int[] tokenTypes, List<String> merges, String preTokenizer,
                      int bosId, int eosId) {
    static final String BOS = "<｜begin▁of▁sentence｜>";
    static final String EOS = "<｜end▁of▁sentence｜>";

    public static SyntheticVocab build(int vocabSize, String preTokenizer) {
        TrainedVocab v = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, vocabSize,
                PreTokenizer.fromGgufName(preTokenizer), List.of(BOS, EOS));
        return new SyntheticVocab(v.tokens(), v.ggufTokenTypes(), v.merges(), preTokenizer,
                v.tokens().indexOf(BOS), v.tokens().indexOf(EOS));
    }

    /**
     * The vocabulary of an existing tokenizer (a real one, such as DeepSeek-V3's 129K tokens read from
     * tokenizer.json), written to GGUF with the llama.cpp pre-tokenizer {@code preTokenizer}.
     */
    public static SyntheticVocab of(BpeTokenizer t, String preTokenizer) {
        List<String> tokens = new ArrayList<>(t.vocabSize());
        int[] types = new int[t.vocabSize()];
        for (int id = 0; id < t.vocabSize(); id++) {
            tokens.add(t.tokenText(id));
            types[id] = t.tokenType(id).ggufId();
        }
        List<String> merges = t.merges().stream().map(pair -> pair[0] + " " + pair[1]).toList();
        if (t.bosId() < 0 || t.eosId() < 0) {
            throw new IllegalArgumentException("the tokenizer names no " + (t.bosId() < 0 ? "BOS" : "EOS")
                    + " token, which a synthetic model needs");
        }
        return new SyntheticVocab(tokens, types, merges, preTokenizer, t.bosId(), t.eosId());
    }

    /**
     * Whether the synthetic model may write this token: EOS (to end text), or a normal token made only
     * of printable ASCII, tab, newline and carriage return. The others are there to be read: byte
     * tokens such as 0xE4 and merges inside multi-byte characters, so that any text encodes, and
     * BOS and other control tokens, which no trained model writes. The writer gives them a zero
     * output row, so their logit is exactly 0 while the written tokens' spread around it, and greedy
     * decoding never picks them in practice. Generated text then stays readable ASCII in which every
     * streamed piece is one token (a control token's piece is empty), which the llama.cpp
     * comparisons need.
     */
    boolean writesText(int id) {
        if (tokenTypes[id] != GGUF_NORMAL) {
            return id == eosId;
        }
        String text = tokens.get(id);
        for (int i = 0; i < text.length(); i++) {
            int b = ByteLevel.byteOf(text.charAt(i));
            if (!(b == '\t' || b == '\n' || b == '\r' || (b >= 0x20 && b <= 0x7E))) {
                return false;
            }
        }
        return true;
    }

    private static final int GGUF_NORMAL = 1;

    void writeTo(GgufWriter w) {
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", preTokenizer);
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putI32s("tokenizer.ggml.token_type", tokenTypes);
        w.putStrings("tokenizer.ggml.merges", merges);
        w.putU32("tokenizer.ggml.bos_token_id", bosId);
        w.putU32("tokenizer.ggml.eos_token_id", eosId);
        w.putBool("tokenizer.ggml.add_bos_token", true);
        w.putBool("tokenizer.ggml.add_eos_token", false);
    }

    /** The tokenizer llama.cpp reads from the GGUF file this vocabulary is written to (BOS added, EOS not). */
    public BpeTokenizer tokenizer() {
        List<TokenType> types = java.util.Arrays.stream(tokenTypes).mapToObj(TokenType::fromGguf).toList();
        return BpeTokenizer.create(tokens, types, merges, PreTokenizer.fromGgufName(preTokenizer),
                SpecialTokens.of(bosId, eosId, true));
    }
}
