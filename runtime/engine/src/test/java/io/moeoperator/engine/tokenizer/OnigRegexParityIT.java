package io.moeoperator.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.moeoperator.engine.oracle.HfTokenizersOracle;
import io.moeoperator.engine.oracle.TokenizerCorpus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Oniguruma-to-Java regex translation ({@link OnigRegex}) against Hugging Face tokenizers'
 * own Split pre-tokenizer: the pieces must be identical for every pattern, behavior and text. The
 * patterns are those of real tokenizer.json files (DeepSeek-V3's read from the fixture; DeepSeek-V2
 * and deepseek-llm's, Qwen2's, Llama 3's and GPT-2's as published), the engine's own, and one per
 * construct the translation treats specially.
 */
class OnigRegexParityIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Qwen2/2.5 and Qwen3 (and their MoE) tokenizer.json Split regex. */
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Llama 3's: Qwen2's with numbers in groups of up to three. */
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Constructs that the translation rewrites or that mean different things in the two dialects. */
    static final List<String> CONSTRUCTS = List.of(
            "\\s+$", "\\n^", "^\\s*\\S", "$", "\\Z", "\\A\\s", ".+", "(?m:.+)", "\\h+", "\\H+", "\\v", "a{,2}",
            "x{", "{}", "\\p{^L}+", "\\P{^N}+", "[\\S]+", "[^\\S\\n]+", "\\w+", "\\W+", "\\d+", "\\D+", "[\\d\\s]+",
            "(?i)ab|k|s|(?-i)c", "x(?i:ll|'t)y", "\\p{Han}+", "\\p{Hiragana}+|\\p{Katakana}+", "(?=[A-Z])", "a*",
            "[\\p{S}&&[^~]]+", "[^\\r\\n\\p{L}\\p{P}[\\p{S}&&[^~]]]?[\\p{L}\\p{M}]+", "\\x{3000}|\\u00A0|\\x41",
            "[\\]a]+", "[]a]+", "\\.\\*\\\\", "(?<word>\\p{L})\\p{N}", "(?#comment)a", "\\p{Lu}\\p{Ll}+");

    @Test
    void splitsAsHuggingFace() throws IOException {
        try (HfTokenizersOracle oracle = HfTokenizersOracle.start("tok-regex")) {
            compare(oracle);
        }
    }

    private void compare(HfTokenizersOracle oracle) throws IOException {
        List<String> texts = new ArrayList<>(TokenizerCorpus.HAND_WRITTEN);
        texts.addAll(TokenizerCorpus.random(150, 3));
        texts.addAll(List.of("a \nb  ", "a\n", "\n", "x\n\ny\n", "KELVIN \u212A k ſ S s", "Straße STRASSE straße",
                "a{,2}aaa x{y} {}", "]a]a[", "ÀbcDéf Ωμέγα", "٣²½x9_ab\u200Dc"));
        List<String> patterns = new ArrayList<>(deepSeekV3Patterns(HfTokenizersOracle.deepSeekV3Fixture()));
        patterns.addAll(deepSeekLlmPatterns());
        patterns.addAll(List.of(QWEN2, LLAMA3, HfPreTokenizer.ByteLevelSplit.GPT2_REGEX));
        for (PreTokenizer p : PreTokenizer.values()) {
            patterns.addAll(p.regexes());
        }
        patterns.addAll(CONSTRUCTS);

        ArrayNode requests = JSON.createArrayNode();
        List<HfPreTokenizer> engine = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String pattern : patterns) {
            add(requests, engine, names, pattern, HfPreTokenizer.Behavior.ISOLATED, false, texts);
        }
        // Every behavior, straight and inverted, on a pattern whose matches are often adjacent.
        for (HfPreTokenizer.Behavior b : HfPreTokenizer.Behavior.values()) {
            for (boolean invert : new boolean[] {false, true}) {
                add(requests, engine, names, "\\p{N}|\\s", b, invert, texts);
                add(requests, engine, names, "\\p{P}+", b, invert, texts);
            }
        }
        List<JsonNode> expected = oracle.split(requests);
        List<String> mismatches = new ArrayList<>();
        int numSplits = 0;
        for (int r = 0; r < names.size(); r++) {
            for (int t = 0; t < texts.size(); t++) {
                List<String> want = new ArrayList<>();
                expected.get(r).get(t).forEach(n -> want.add(n.textValue()));
                List<String> got = engine.get(r).split(texts.get(t));
                numSplits++;
                if (!want.equals(got)) {
                    mismatches.add(names.get(r) + " on " + JSON.writeValueAsString(texts.get(t)) + ": Hugging Face "
                            + JSON.writeValueAsString(want) + ", engine " + JSON.writeValueAsString(got));
                }
            }
        }
        System.out.printf("%d patterns and behaviors x %d texts = %d splits compared, %d mismatches%n", names.size(),
                texts.size(), numSplits, mismatches.size());
        assertTrue(mismatches.isEmpty(), mismatches.size() + " mismatches, the first ones:\n"
                + String.join("\n", mismatches.subList(0, Math.min(20, mismatches.size()))));
    }

    private static void add(ArrayNode requests, List<HfPreTokenizer> engine, List<String> names, String pattern,
            HfPreTokenizer.Behavior behavior, boolean invert, List<String> texts) {
        String snake = behavior.name().toLowerCase(java.util.Locale.ROOT);
        requests.addObject().put("pattern", pattern).put("behavior", snake).put("invert", invert)
                .set("texts", JSON.valueToTree(texts));
        engine.add(new HfPreTokenizer(List.of(new HfPreTokenizer.Split(OnigRegex.compile(pattern), behavior, invert))));
        names.add(pattern + " (" + snake + (invert ? ", inverted" : "") + ")");
    }

    /** The Split regexes of the real DeepSeek-V3 tokenizer.json. */
    static List<String> deepSeekV3Patterns(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        JsonNode pre = JSON.readTree(dir.resolve("tokenizer.json").toFile()).get("pre_tokenizer");
        pre.get("pretokenizers").forEach(p -> {
            if (p.has("pattern")) {
                out.add(p.get("pattern").get("Regex").textValue());
            }
        });
        return out;
    }

    /**
     * DeepSeek-V2's (and deepseek-llm's) Split regexes as their tokenizer.json writes them: literal
     * characters rather than escapes, U+3000 inside a range, and {@code \s+$}. They are the ones
     * llama.cpp copied into its deepseek-llm pre-tokenizer; we rebuild the literal form from that.
     */
    static List<String> deepSeekLlmPatterns() {
        List<String> out = new ArrayList<>();
        for (String r : PreTokenizer.DEEPSEEK_LLM.regexes()) {
            Matcher m = Pattern.compile("\\\\x\\{([0-9A-F]+)}").matcher(r);
            String literal = m.replaceAll(x -> Matcher.quoteReplacement(Character.toString(Integer.parseInt(x.group(1), 16))));
            out.add(literal.replace("\\s+\\z", "\\s+$").replace("、-。", "　-。").replace("&&[^\\s]", ""));
        }
        return out;
    }
}
