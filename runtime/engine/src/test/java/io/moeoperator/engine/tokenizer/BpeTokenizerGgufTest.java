package io.moeoperator.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.gguf.GgufFile;
import io.moeoperator.engine.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the tokenizer from GGUF metadata written by the project's own writer. */
class BpeTokenizerGgufTest {
    private static final List<String> SPECIALS = List.of("<|begin|>", "<|endoftext|>");

    @TempDir
    Path dir;

    private final TrainedVocab vocab =
            BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 400, PreTokenizer.DEEPSEEK_V3, SPECIALS);

    @Test
    void readsVocabularyMergesAndSpecials() throws IOException {
        BpeTokenizer t = load(w -> w
                .putString("tokenizer.ggml.pre", "deepseek-v3")
                .putU32("tokenizer.ggml.bos_token_id", 398)
                .putU32("tokenizer.ggml.eos_token_id", 399)
                .putBool("tokenizer.ggml.add_bos_token", true));
        assertEquals(400, t.vocabSize());
        assertEquals(PreTokenizer.DEEPSEEK_V3, t.preTokenizer().orElseThrow());
        assertEquals(398, t.bosId());
        assertEquals(399, t.eosId());
        assertTrue(t.addBos());
        assertTrue(t.isEndOfGeneration(399));
        int[] ids = t.encode("The model is ready.", true, false);
        assertEquals(398, ids[0]);
        assertEquals("The model is ready.", t.decode(ids));
        BpeTokenizer direct = vocab.tokenizer(PreTokenizer.DEEPSEEK_V3, SpecialTokens.of(398, 399, true));
        assertArrayEquals(direct.encode("The model is ready.", true, false), ids);
    }

    @Test
    void defaultsMatchLlamaCpp() throws IOException {
        // No pre, no token types, no special ids, no add_bos: pre "default", all NORMAL, BOS = EOS = 11
        // (GPT-2's), add_bos false.
        BpeTokenizer t = load(false, w -> { });
        assertEquals(PreTokenizer.DEFAULT, t.preTokenizer().orElseThrow());
        assertEquals(11, t.bosId());
        assertEquals(11, t.eosId());
        assertFalse(t.addBos());
        assertTrue(t.isEndOfGeneration(11));
        // Without token types the special texts are NORMAL, but <|endoftext|> is promoted to CONTROL.
        assertEquals(TokenType.NORMAL, t.tokenType(398));
        assertEquals(TokenType.CONTROL, t.tokenType(399));
    }

    @Test
    void specialIdOutsideVocabularyIsIgnored() throws IOException {
        BpeTokenizer t = load(w -> w.putU32("tokenizer.ggml.eos_token_id", 5000));
        assertEquals(11, t.eosId());
    }

    @Test
    void unknownModelIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load(w -> w.putString("tokenizer.ggml.model", "llama")));
        assertTrue(e.getMessage().contains("'llama'"), e.getMessage());
        assertTrue(e.getMessage().contains("only 'gpt2'"), e.getMessage());
    }

    @Test
    void unknownPreTokenizerIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load(w -> w.putString("tokenizer.ggml.pre", "llama-bpe")));
        assertTrue(e.getMessage().contains("'llama-bpe'"), e.getMessage());
        assertTrue(e.getMessage().contains("'deepseek-llm'"), e.getMessage());
    }

    private BpeTokenizer load(Consumer<GgufWriter> extra) throws IOException {
        return load(true, extra);
    }

    private BpeTokenizer load(boolean withTokenTypes, Consumer<GgufWriter> extra) throws IOException {
        GgufWriter w = new GgufWriter()
                .putString("tokenizer.ggml.model", "gpt2")
                .putStrings("tokenizer.ggml.tokens", vocab.tokens())
                .putStrings("tokenizer.ggml.merges", vocab.merges());
        if (withTokenTypes) {
            w.putI32s("tokenizer.ggml.token_type", vocab.ggufTokenTypes());
        }
        extra.accept(w);
        Path file = dir.resolve("tok-" + System.nanoTime() + ".gguf");
        w.write(file);
        try (GgufFile f = GgufFile.open(file)) {
            return BpeTokenizer.fromGguf(f.metadata());
        }
    }
}
