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
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine against llama.cpp on the same synthetic GGUF files: with F32 weights the greedy
 * continuations must be identical, token for token, and tokenization must agree.
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
            for (String prompt : OracleConfigs.PROMPTS) {
                String expected = String.join("", llama.greedyPieces(prompt, GREEDY_TOKENS));
                GenerationResult ours = engine.generator().generate(prompt, GREEDY_TOKENS, SamplingParams.greedy(), null);
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
            "text<｜end▁of▁sentence｜>after")).toList();

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
