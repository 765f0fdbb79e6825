package io.moeoperator.engine.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.exec.GenerationResult;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.engine.synth.SynthSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine against llama.cpp on the same synthetic GGUF files: with F32 weights the greedy
 * continuations must be identical, token for token, and tokenization must agree. The greedy runs
 * ban EOS in both (a logit bias of -infinity: llama.cpp's logit_bias sampler and the engine's), so
 * every continuation runs its full length whatever the random weights make of EOS, and the two
 * implementations of logit_bias are compared too.
 */
class LlamaCppParityIT {
    static final int GREEDY_TOKENS = 32;

    static Stream<Arguments> f32Configs() {
        return OracleConfigs.f32().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("f32Configs")
    void greedyContinuationEqualsLlamaCpp(String name, SynthSpec spec) {
        Path file = OracleConfigs.model(name, spec);
        try (LlamaOracle llama = new LlamaOracle(file, OracleConfigs.CONTEXT);
             LoadedModel engine = LoadedModel.open(file, 2)) {
            int eos = engine.tokenizer().eosId();
            SamplingParams greedyWithoutEos = SamplingParams.greedy().withLogitBias(Map.of(eos, Float.NEGATIVE_INFINITY));
            for (String prompt : OracleConfigs.PROMPTS) {
                String expected = String.join("", llama.greedyPieces(prompt, GREEDY_TOKENS, List.of(eos)));
                GenerationResult ours = engine.generator().generate(prompt, GREEDY_TOKENS, greedyWithoutEos, null);
                assertEquals(expected, ours.text(), name + ": greedy continuation of \"" + prompt + "\"");
                assertTrue(expected.length() >= 8, name + ": llama.cpp generated almost nothing for \"" + prompt
                        + "\"; a model that stops at once proves nothing");
            }
        }
    }

    static final List<String> TOKENIZER_TEXTS = Stream.concat(Stream.of(OracleConfigs.PROMPTS), Stream.of(
            "", " ", "  leading and trailing  ", "tabs\tand\nnew\n\nlines\r\n", "12345678901 3.14159 1,000,000",
            "it's don't we'll I'M", "a+b=c; x<y>z ~tilde `tick` $5 | pipe ^ caret", "CamelCaseWords and snake_case_names",
            "emoji-free ASCII: !\"#$%&'()*+,-./:;<=>?@[\\]^_{|}~", "<｜begin▁of▁sentence｜>Hello<｜end▁of▁sentence｜>",
            "text<｜end▁of▁sentence｜>after",
            // Whitespace beyond ASCII, also inside deepseek-llm's punctuation and CJK ranges, which
            // llama.cpp never matches there (it shadows such whitespace before matching).
            "ideographic\u3000space\u3000\u3000\u3002 ogham\u1680x en\u2002quad thin\u2009x\u202Fnarrow\u205Fmath\u2028line\u00A0nbsp",
            // Synthetic vocabularies hold all 256 byte tokens and some merges inside multi-byte characters.
            "caf\u00e9 cr\u00e8me, Gr\u00f6\u00dfe \u00fcber, \u00bfQu\u00e9?", "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u6a21\u578b\u7531\u8bb8\u591a\u4e13\u5bb6\u7ec4\u6210\u3002",
            "\u65e5\u672c\u8a9e\u306e\u6587\u5b57\u3068\u30ab\u30bf\u30ab\u30ca", "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8", "\u041c\u043e\u0434\u0435\u043b\u044c \u043e\u0442\u0432\u0435\u0447\u0430\u0435\u0442 \u0431\u044b\u0441\u0442\u0440\u043e.",
            "\u039f \u03b4\u03b9\u03b1\u03ba\u03bf\u03bc\u03b9\u03c3\u03c4\u03ae\u03c2", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
            "\ud83d\ude00\ud83d\udc4d\ud83c\udffd \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67 \u2705 ready", "\u0301 lone combining mark, e\u0301",
            "mixed: price 12\u20ac, 5\u00b0C, \u00bd cup, \u201cquotes\u201d \u2014 dash")).toList();

    @ParameterizedTest(name = "{0}")
    @MethodSource("f32Configs")
    void tokenizeEqualsLlamaCpp(String name, SynthSpec spec) {
        assertSameTokens(name, OracleConfigs.model(name, spec));
    }

    /** Every pre-tokenizer this engine supports, on llama.cpp's own reading of the same file. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"default", "deepseek-llm", "deepseek-v3"})
    void everyPreTokenizerEqualsLlamaCpp(String pre) {
        SynthSpec spec = OracleConfigs.small().numLayers(2).preTokenizer(pre).seed(11).build();
        assertSameTokens(pre, OracleConfigs.model("pre-" + pre, spec));
    }

    private static void assertSameTokens(String name, Path file) {
        try (LlamaOracle llama = new LlamaOracle(file, OracleConfigs.CONTEXT);
             LoadedModel engine = LoadedModel.open(file, 1)) {
            for (String text : TOKENIZER_TEXTS) {
                assertArrayEquals(llama.encode(text), engine.tokenizer().encode(text, false, true),
                        name + ": tokens of \"" + text + "\"");
            }
        }
    }
}
