package io.moeoperator.engine.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.exec.GenerationResult;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.model.LatentKvCache;
import io.moeoperator.engine.oracle.TransformersOracle.Model;
import io.moeoperator.engine.oracle.TransformersOracle.Prompt;
import io.moeoperator.engine.oracle.TransformersOracle.Reference;
import io.moeoperator.engine.sample.SamplingParams;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine against Hugging Face transformers on tiny DeepSeek-V2-Lite-, V2- and V3-like
 * checkpoints with F32 weights (tests/oracles): the prompts tokenize to transformers' ids, the
 * greedy continuations (32 tokens x 8 prompts) are identical, and the logits after each prompt
 * are within 1e-4 of transformers', relative to the largest. Both sides ban EOS and <|EOT|> (a
 * logit of -infinity), so every continuation runs its full length.
 */
class TransformersParityIT {
    static final double LOGIT_TOLERANCE = 1e-4;

    static List<Model> f32Models() {
        return TransformersOracle.index().ofDtype("f32");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("f32Models")
    void promptsTokenizeAsTransformers(Model m) {
        Reference ref = TransformersOracle.reference(m);
        try (LoadedModel engine = LoadedModel.open(TransformersOracle.modelDir(m), 2)) {
            for (Prompt p : ref.prompts()) {
                assertArrayEquals(p.ids(), engine.tokenizer().encode(p.text(), p.addBos(), true),
                        m + ": tokens of \"" + p.text() + "\"");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("f32Models")
    void greedyContinuationsEqualTransformers(Model m) {
        Reference ref = TransformersOracle.reference(m);
        Map<Integer, Float> ban = new HashMap<>();
        for (int id : ref.bannedIds()) {
            ban.put(id, Float.NEGATIVE_INFINITY);
        }
        SamplingParams greedy = SamplingParams.greedy().withLogitBias(ban);
        int identical = 0;
        try (LoadedModel engine = LoadedModel.open(TransformersOracle.modelDir(m), 2)) {
            for (int i = 0; i < ref.prompts().size(); i++) {
                int[] expected = ref.greedy().get(i).tokens();
                GenerationResult ours = engine.generator().generate(ref.prompts().get(i).ids(), expected.length, greedy, null);
                if (Arrays.equals(expected, ours.generatedTokens())) {
                    identical++;
                } else {
                    int at = Arrays.mismatch(expected, ours.generatedTokens());
                    System.out.printf("%s prompt %d: differs from token %d (transformers %s, engine %s; smallest oracle margin %.2e)%n",
                            m, i, at, Arrays.toString(expected), Arrays.toString(ours.generatedTokens()),
                            ref.greedy().get(i).minMargin());
                }
            }
        }
        System.out.printf("%s: greedy continuations identical to transformers' for %d/%d prompts%n", m, identical,
                ref.prompts().size());
        assertEquals(ref.prompts().size(), identical, m + ": greedy continuations that differ from transformers' (above)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("f32Models")
    void lastLogitsWithinToleranceOfTransformers(Model m) {
        Reference ref = TransformersOracle.reference(m);
        double worst = 0;
        try (LoadedModel engine = LoadedModel.open(TransformersOracle.modelDir(m), 2)) {
            for (int i = 0; i < ref.prompts().size(); i++) {
                float[] expected = ref.lastLogits()[i];
                LatentKvCache cache = engine.model().newCache();
                float[] ours = engine.generator().prefill(ref.prompts().get(i).ids(), cache);
                assertEquals(expected.length, ours.length, m + ": vocabulary size (config.json's vocab_size)");
                double largest = 0;
                double maxDiff = 0;
                int at = 0;
                for (int v = 0; v < expected.length; v++) {
                    largest = Math.max(largest, Math.abs(expected[v]));
                    double d = Math.abs(expected[v] - ours[v]);
                    if (d > maxDiff) {
                        maxDiff = d;
                        at = v;
                    }
                }
                double relative = maxDiff / largest;
                worst = Math.max(worst, relative);
                assertTrue(relative <= LOGIT_TOLERANCE, String.format(
                        "%s prompt %d: logit %d is %.6f, transformers' %.6f: off by %.2e of the largest logit %.4f (allowed %.0e)",
                        m, i, at, ours[at], expected[at], relative, largest, LOGIT_TOLERANCE));
            }
        }
        System.out.printf("%s: last-position logits within %.2e of transformers' (relative to the largest logit)%n", m, worst);
    }
}
