package io.moeoperator.engine.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.moeoperator.engine.synth.SyntheticVocab;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import io.moeoperator.engine.tokenizer.HfTokenizer;
import io.moeoperator.engine.tokenizer.HfTokenizerWriter;
import io.moeoperator.engine.tokenizer.PreTokenizer;
import io.moeoperator.engine.tokenizer.SpecialTokens;
import io.moeoperator.engine.tokenizer.StreamingDetokenizer;
import io.moeoperator.engine.tokenizer.TokenType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HfTokenizer against Hugging Face tokenizers 0.23.1 ({@link HfTokenizersOracle}) on the same
 * files: the real DeepSeek-V3 tokenizer.json, and the tokenizer.json the engine writes for a
 * synthetic model. For every text of {@link TokenizerCorpus} the ids must be identical with and
 * without special tokens added, and with special tokens in the text parsed or taken as text; the
 * decoded text must be identical with and without special tokens, and so must each token's piece
 * (partial UTF-8 included) and what the streaming detokenizer makes of the ids.
 */
class HfTokenizersParityIT {
    private static final int NUM_RANDOM = 400;
    private static HfTokenizersOracle oracle;

    @AfterAll
    static void stopOracle() throws IOException {
        oracle.close();
    }

    @BeforeAll
    static void startOracle() throws IOException {
        oracle = HfTokenizersOracle.start("tok-parity");
    }

    @Test
    void deepSeekV3TokenizesAsHuggingFace() throws IOException {
        Path dir = HfTokenizersOracle.deepSeekV3Fixture();
        BpeTokenizer tok = HfTokenizer.load(dir).tokenizer();
        assertEquals(128815, tok.vocabSize());
        compare("DeepSeek-V3", tok, oracle.encode(oracle.copyModel(dir, "deepseek-v3"), TokenizerCorpus.all(NUM_RANDOM, 7)));
    }

    @Test
    void writtenSyntheticTokenizerTokenizesAsHuggingFace() throws IOException {
        // Kept under target/ to be looked at; the writer replaces the files each run.
        Path dir = Path.of("target", "it-models", "hf-synthetic-tokenizer");
        SyntheticVocab v = SyntheticVocab.build(2048, "deepseek-v3");
        List<TokenType> types = Arrays.stream(v.tokenTypes()).mapToObj(HfTokenizersParityIT::type).toList();
        BpeTokenizer synthetic = BpeTokenizer.create(v.tokens(), types, v.merges(), PreTokenizer.DEEPSEEK_V3,
                SpecialTokens.of(v.bosId(), v.eosId(), true));
        HfTokenizerWriter.write(synthetic, Optional.of("{{ messages }}"), dir);
        BpeTokenizer tok = HfTokenizer.load(dir).tokenizer();
        compare("synthetic", tok, oracle.encode(oracle.copyModel(dir, "synthetic"), TokenizerCorpus.all(NUM_RANDOM, 11)));
    }

    private static TokenType type(int ggufId) {
        return TokenType.fromGguf(ggufId);
    }

    /** Compares everything; reports all mismatches at once, with counts. */
    static void compare(String name, BpeTokenizer tok, List<JsonNode> expected) {
        List<String> mismatches = new ArrayList<>();
        long numTokens = 0;
        for (JsonNode e : expected) {
            String text = e.get("text").textValue();
            int[] plain = ids(e.get("plain"));
            numTokens += plain.length;
            check(mismatches, text, "ids without specials", plain, tok.encode(text, false, true));
            check(mismatches, text, "ids with specials", ids(e.get("special")), tok.encode(text, true, true));
            check(mismatches, text, "ids with specials as text", ids(e.get("specials_as_text")), tok.encode(text, false, false));
            check(mismatches, text, "decoded", e.get("decoded").textValue(), tok.decode(plain, true));
            check(mismatches, text, "decoded without specials", e.get("decoded_skipping_specials").textValue(),
                    tok.decode(plain, false));
            for (int k = 0; k < plain.length; k++) {
                check(mismatches, text, "piece of id " + plain[k], e.get("pieces").get(k).textValue(),
                        tok.decode(new int[] {plain[k]}, true));
            }
            StreamingDetokenizer stream = new StreamingDetokenizer(tok, true);
            StringBuilder streamed = new StringBuilder();
            for (int id : plain) {
                streamed.append(stream.accept(id));
            }
            check(mismatches, text, "streamed", e.get("decoded").textValue(), streamed.append(stream.flush()).toString());
        }
        System.out.printf("%s: %d texts, %d tokens (without specials); ids 3 ways, text 2 ways, every piece, streamed: %d mismatches%n", name,
                expected.size(), numTokens, mismatches.size());
        assertTrue(mismatches.isEmpty(), mismatches.size() + " mismatches with Hugging Face tokenizers on " + name
                + ", the first ones:\n" + String.join("\n", mismatches.subList(0, Math.min(20, mismatches.size()))));
    }

    private static void check(List<String> mismatches, String text, String what, Object want, Object got) {
        boolean same = want instanceof int[] w ? Arrays.equals(w, (int[]) got) : want.equals(got);
        if (!same) {
            mismatches.add(what + " of " + quote(text) + ": Hugging Face " + show(want) + ", engine " + show(got));
        }
    }

    private static String show(Object o) {
        return o instanceof int[] a ? Arrays.toString(a) : quote((String) o);
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(c -> sb.append(c < 0x20 || (c >= 0x7F && c < 0xA0) || Character.isWhitespace(c) && c != ' '
                ? String.format("\\u%04X", c) : new String(Character.toChars(c))));
        return sb.append('"').toString();
    }

    private static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).intValue();
        }
        return out;
    }
}
