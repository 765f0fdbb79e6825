package io.moeoperator.engine.synth;

import io.moeoperator.engine.gguf.GgufWriter;
import io.moeoperator.engine.tokenizer.BpeTrainer;
import io.moeoperator.engine.tokenizer.PreTokenizer;
import io.moeoperator.engine.tokenizer.TrainedVocab;
import java.util.List;

/**
 * A synthetic model's vocabulary. {@link #build} makes the default: an ASCII-only byte-level BPE
 * trained on a built-in English corpus, plus DeepSeek's BOS/EOS control tokens. ASCII-only keeps
 * every generated text valid UTF-8 and makes every streamed piece exactly one vocabulary entry
 * (what the llama.cpp comparisons rely on). Any other gpt2-style vocabulary can be given instead.
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
}
