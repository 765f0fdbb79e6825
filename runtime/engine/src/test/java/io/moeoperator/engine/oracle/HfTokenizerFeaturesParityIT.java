package io.moeoperator.engine.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moeoperator.engine.tokenizer.BpeTrainer;
import io.moeoperator.engine.tokenizer.HfTokenizer;
import io.moeoperator.engine.tokenizer.HfTokenizerWriter;
import io.moeoperator.engine.tokenizer.PreTokenizer;
import io.moeoperator.engine.tokenizer.SpecialTokens;
import io.moeoperator.engine.tokenizer.TrainedVocab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The tokenizer.json features that DeepSeek-V3's file does not use, each against Hugging Face
 * tokenizers: a small trained vocabulary is written by {@link HfTokenizerWriter}, then one feature
 * is edited into the JSON per case (added-token options, normalizers, Digits, ByteLevel's regex
 * and prefix space, ignore_merges, the string form of merges, a BOS/EOS template, every split
 * behavior, a repeated merge, added tokens made of byte characters), and the engine and Hugging
 * Face must agree as in {@link HfTokenizersParityIT}.
 */
class HfTokenizerFeaturesParityIT {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String BOS = "<｜begin▁of▁sentence｜>";
    private static final String EOS = "<｜end▁of▁sentence｜>";
    private static final List<String> FEATURE_TEXTS = List.of(
            " <lstrip> x  <lstrip>\t<lstrip>", "a<rstrip>  b <rstrip>\n\nc<rstrip>", "<both>  <both> x <both>",
            "word words sword word. _word word_ 1word (word) wörd word", "foobar xoobar foooobar oobar",
            "Ａｂｃ Abc ｘｙｚ xyz ﬁx ① ¹", "e\u0301 é ȫ o\u0308\u0304 Å Å", "ĠĠĠ ĠxĠ <my token> ĠĠĠĠ",
            "1234567 -- a,b;c. d -- --- x--y", "12 34 x1y2 ٣٤ ²³", "a xyzzy, xyzzyx xyzzy", BOS + "Hi" + EOS + " " + BOS);

    private static HfTokenizersOracle oracle;
    private static ObjectNode base;
    private static ObjectNode baseConfig;
    private static List<String> texts;

    @AfterAll
    static void stopOracle() throws IOException {
        oracle.close();
    }

    @BeforeAll
    static void writeBase() throws IOException {
        oracle = HfTokenizersOracle.start("tok-features");
        TrainedVocab v = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 700, PreTokenizer.DEEPSEEK_V3, List.of(BOS, EOS));
        Path dir = Path.of("target", "it-models", "hf-features-base");
        HfTokenizerWriter.write(v.tokenizer(PreTokenizer.DEEPSEEK_V3, SpecialTokens.of(v.idOf(BOS), v.idOf(EOS), true)),
                Optional.empty(), dir);
        base = (ObjectNode) JSON.readTree(dir.resolve("tokenizer.json").toFile());
        baseConfig = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        texts = new ArrayList<>(FEATURE_TEXTS);
        texts.addAll(TokenizerCorpus.HAND_WRITTEN);
        texts.addAll(TokenizerCorpus.random(150, 5));
    }

    @TestFactory
    Stream<DynamicTest> eachFeatureTokenizesAsHuggingFace() {
        List<DynamicTest> cases = new ArrayList<>();
        cases.add(feature("as written", t -> { }));
        cases.add(feature("added tokens with lstrip, rstrip, single_word, overlapping", t -> {
            addToken(t, "<lstrip>", true, false, true, false, false);
            addToken(t, "<rstrip>", false, false, false, true, false);
            addToken(t, "<both>", true, false, true, true, false);
            addToken(t, "word", false, true, false, false, true);
            addToken(t, "foo", false, true, false, false, false);
            addToken(t, "oobar", false, true, false, false, false);
        }));
        cases.add(feature("NFKC normalizer with normalized and raw added tokens", t -> {
            t.putObject("normalizer").put("type", "NFKC");
            addToken(t, "Ａｂｃ", false, true, false, false, false);
            addToken(t, "ｘｙｚ", true, false, false, false, false);
        }));
        cases.add(feature("NFC in a Sequence", t -> t.putObject("normalizer").put("type", "Sequence")
                .putArray("normalizers").addObject().put("type", "NFC")));
        cases.add(feature("NFD", t -> t.putObject("normalizer").put("type", "NFD")));
        cases.add(feature("Digits, each digit alone", t -> steps(t).insertObject(0).put("type", "Digits")
                .put("individual_digits", true)));
        cases.add(feature("Digits, runs", t -> steps(t).insertObject(0).put("type", "Digits")
                .put("individual_digits", false)));
        cases.add(feature("ByteLevel with GPT-2's regex alone", t -> t.putObject("pre_tokenizer")
                .put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true)));
        cases.add(feature("ByteLevel with a prefix space and its regex", t -> t.putObject("pre_tokenizer")
                .put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true)));
        cases.add(feature("Splits then ByteLevel with a prefix space", t -> ((ObjectNode) steps(t).get(steps(t).size() - 1))
                .put("add_prefix_space", true)));
        // A word that is a token but that no merge makes: whole with ignore_merges, in pieces without.
        cases.add(feature("a token no merge makes", t -> appendVocab(t, "Ġxyzzy")));
        cases.add(feature("ignore_merges", t -> {
            appendVocab(t, "Ġxyzzy");
            ((ObjectNode) t.get("model")).put("ignore_merges", true);
        }));
        cases.add(feature("merges as strings after a #version line", t -> {
            ArrayNode strings = JSON.createArrayNode().add("#version: 0.2");
            t.get("model").get("merges").forEach(m -> strings.add(m.get(0).textValue() + " " + m.get(1).textValue()));
            ((ObjectNode) t.get("model")).set("merges", strings);
        }));
        cases.add(feature("a merge repeated at the end (its last rank counts)", t -> {
            ArrayNode merges = (ArrayNode) t.get("model").get("merges");
            merges.add(merges.get(0).deepCopy());
            merges.add(merges.get(5).deepCopy());
        }));
        cases.add(feature("every split behavior, and invert", t -> {
            ArrayNode s = steps(t);
            s.removeAll();
            split(s.addObject(), "String", "--", "Removed", false);
            split(s.addObject(), "Regex", "\\s+", "MergedWithNext", false);
            split(s.addObject(), "Regex", "[,.;]", "MergedWithPrevious", false);
            split(s.addObject(), "Regex", "\\p{N}+", "Contiguous", true);
            split(s.addObject(), "Regex", "\\p{L}+", "Isolated", true);
            s.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                    .put("use_regex", false);
        }));
        cases.add(feature("added tokens of byte characters and with a space", t -> {
            addToken(t, "ĠĠĠ", false, false, false, false, false);
            addToken(t, "ĠxĠ", false, false, false, false, false);
            addToken(t, "<my token>", true, false, false, false, false);
        }));
        cases.add(featureWithConfig("BOS and EOS from a TemplateProcessing in a Sequence", t -> {
            ObjectNode template = (ObjectNode) t.get("post_processor").deepCopy();
            ((ArrayNode) template.get("single")).addObject().putObject("SpecialToken").put("id", EOS).put("type_id", 0);
            ((ObjectNode) template.get("special_tokens")).putObject(EOS).put("id", EOS).<ObjectNode>set("ids",
                    JSON.createArrayNode().add(base.get("added_tokens").get(1).get("id").intValue()))
                    .set("tokens", JSON.createArrayNode().add(EOS));
            ObjectNode seq = t.putObject("post_processor").put("type", "Sequence");
            seq.putArray("processors").add(JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", true)
                    .put("trim_offsets", false).put("use_regex", true)).add(template);
        }, c -> {
            c.remove("add_bos_token");
            c.remove("add_eos_token");
        }));
        return cases.stream();
    }

    private static DynamicTest feature(String name, Consumer<ObjectNode> edit) {
        return featureWithConfig(name, edit, c -> { });
    }

    private static DynamicTest featureWithConfig(String name, Consumer<ObjectNode> edit, Consumer<ObjectNode> editConfig) {
        return DynamicTest.dynamicTest(name, () -> {
            ObjectNode t = base.deepCopy();
            edit.accept(t);
            ObjectNode c = baseConfig.deepCopy();
            editConfig.accept(c);
            Path dir = Path.of("target", "it-models", "hf-features", name.replaceAll("[^A-Za-z0-9]+", "-"));
            Files.createDirectories(dir);
            JSON.writeValue(dir.resolve("tokenizer.json").toFile(), t);
            JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), c);
            String sub = "case-" + Integer.toHexString(name.hashCode());
            HfTokenizersParityIT.compare(name, HfTokenizer.load(dir).tokenizer(),
                    oracle.encode(oracle.copyModel(dir, sub), texts));
        });
    }

    private static ArrayNode steps(ObjectNode t) {
        return (ArrayNode) t.get("pre_tokenizer").get("pretokenizers");
    }

    private static void split(ObjectNode s, String kind, String pattern, String behavior, boolean invert) {
        s.put("type", "Split").putObject("pattern").put(kind, pattern);
        s.put("behavior", behavior).put("invert", invert);
    }

    /** Appends an added token with the next id, as Hugging Face numbers tokens that are not in the vocabulary. */
    private static void addToken(ObjectNode t, String content, boolean special, boolean normalized, boolean lstrip,
            boolean rstrip, boolean singleWord) {
        JsonNode vocab = t.get("model").get("vocab");
        int id = vocab.has(content) ? vocab.get(content).intValue() : nextId(t);
        ((ArrayNode) t.get("added_tokens")).addObject().put("id", id).put("content", content)
                .put("single_word", singleWord).put("lstrip", lstrip).put("rstrip", rstrip)
                .put("normalized", normalized).put("special", special);
    }

    /** Adds a token at the end of model.vocab, moving the added tokens after it one id on. */
    private static void appendVocab(ObjectNode t, String token) {
        ObjectNode vocab = (ObjectNode) t.get("model").get("vocab");
        int id = vocab.size();
        vocab.put(token, id);
        for (JsonNode a : t.get("added_tokens")) {
            if (a.get("id").intValue() >= id) {
                ((ObjectNode) a).put("id", a.get("id").intValue() + 1);
            }
        }
        for (JsonNode special : t.get("post_processor").get("special_tokens")) {
            ArrayNode ids = (ArrayNode) special.get("ids");
            ids.set(0, ids.get(0).intValue() + (ids.get(0).intValue() >= id ? 1 : 0));
        }
    }

    private static int nextId(ObjectNode t) {
        int max = t.get("model").get("vocab").size() - 1;
        for (JsonNode a : t.get("added_tokens")) {
            max = Math.max(max, a.get("id").intValue());
        }
        return max + 1;
    }
}
