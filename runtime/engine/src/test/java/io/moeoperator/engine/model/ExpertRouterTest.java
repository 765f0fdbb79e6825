package io.moeoperator.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.kernel.ScalarOps;
import io.moeoperator.engine.kernel.WeightMatrix;
import io.moeoperator.engine.model.ExpertRouting.Selection;
import io.moeoperator.engine.model.ExpertRouting.Weighting;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every routing variant against a scalar transcription (in double) of the reference code: DeepSeek's
 * {@code MoEGate} for V2 (greedy, group_limited_greedy) and V3 (noaux_tc), and llama.cpp's
 * {@code build_moe_ffn}. The router is the identity, so the token's input is its router logits.
 */
class ExpertRouterTest {
    static final int E = 16;
    static final int K = 4;

    @Test
    void deepSeekV2GreedyScalesTheSoftmaxWeights() {
        check(new ExpertRouting(GatingFunction.SOFTMAX, Selection.GREEDY, 1, 1, false, Weighting.DEEPSEEK_V2, false, 16f), K);
    }

    @Test
    void deepSeekV2NormalisesInsteadOfScaling() {
        check(new ExpertRouting(GatingFunction.SOFTMAX, Selection.GREEDY, 1, 1, false, Weighting.DEEPSEEK_V2, true, 16f), K);
    }

    @Test
    void deepSeekV2GroupLimitedGreedy() {
        check(new ExpertRouting(GatingFunction.SOFTMAX, Selection.GROUP_MAX, 4, 2, false, Weighting.DEEPSEEK_V2, false, 16f), K);
    }

    @Test
    void deepSeekV3NoAuxTc() {
        check(new ExpertRouting(GatingFunction.SIGMOID, Selection.GROUP_TOP2_SUM, 4, 2, true, Weighting.DEEPSEEK_V3, true, 2.5f), K);
    }

    @Test
    void deepSeekV3WithoutRenormalisationStillScales() {
        check(new ExpertRouting(GatingFunction.SIGMOID, Selection.GROUP_TOP2_SUM, 8, 3, true, Weighting.DEEPSEEK_V3, false, 2.5f), K);
    }

    @Test
    void oneExpertPerTokenIsNeverRenormalised() {
        // DeepSeek renormalises only when k > 1: V2 scales the single weight, V3 scales it too.
        check(new ExpertRouting(GatingFunction.SOFTMAX, Selection.GREEDY, 1, 1, false, Weighting.DEEPSEEK_V2, true, 16f), 1);
        check(new ExpertRouting(GatingFunction.SIGMOID, Selection.GROUP_TOP2_SUM, 4, 2, true, Weighting.DEEPSEEK_V3, true, 2.5f), 1);
    }

    @Test
    void llamaCppRenormalisesWithoutEpsilonThenScales() {
        check(ExpertRouting.llamaCpp(GatingFunction.SIGMOID, true, true, 2.5f), K);
        check(ExpertRouting.llamaCpp(GatingFunction.SOFTMAX, false, false, 1f), K);
    }

    @Test
    void aGroupOutsideTheBestGroupsIsNeverChosen() {
        // Group 3 holds the single best expert (15) but its second best is poor, so by the sum of the two best
        // (noaux_tc) groups 0 and 1 win; by the best alone (group_limited_greedy) group 3 is kept.
        float[] logits = new float[E];
        Arrays.fill(logits, -4f);
        logits[0] = 1f;
        logits[1] = 1f;
        logits[4] = 0.9f;
        logits[5] = 0.9f;
        logits[15] = 3f;
        int[] top2Sum = route(new ExpertRouting(GatingFunction.SIGMOID, Selection.GROUP_TOP2_SUM, 4, 2, false,
                Weighting.DEEPSEEK_V3, true, 1f), logits, null, K).experts();
        assertArrayEquals(new int[] {0, 1, 4, 5}, sorted(top2Sum));
        int[] max = route(new ExpertRouting(GatingFunction.SOFTMAX, Selection.GROUP_MAX, 4, 2, false,
                Weighting.DEEPSEEK_V2, false, 1f), logits, null, K).experts();
        assertArrayEquals(new int[] {0, 1, 2, 15}, sorted(max), "groups 3 and 0 are kept, not group 1's expert 4");
        int[] greedy = route(ExpertRouting.llamaCpp(GatingFunction.SOFTMAX, false, false, 1f), logits, null, K).experts();
        assertArrayEquals(new int[] {0, 1, 4, 15}, sorted(greedy));
    }

    @Test
    void theBiasSteersTheChoiceButNotTheWeights() {
        float[] logits = new float[E];
        float[] bias = new float[E];
        bias[7] = 10f; // expert 7 wins whatever its score
        ExpertRouting v3 = new ExpertRouting(GatingFunction.SIGMOID, Selection.GROUP_TOP2_SUM, 4, 2, true,
                Weighting.DEEPSEEK_V3, false, 1f);
        ExpertRouter.Routing r = route(v3, logits, bias, K);
        assertEquals(7, r.experts()[0]);
        assertEquals(0.5f, r.weights()[0], "sigmoid(0), unbiased");
    }

    @Test
    void inconsistentGroupSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ExpertRouting(GatingFunction.SOFTMAX, Selection.GREEDY,
                4, 2, false, Weighting.DEEPSEEK_V2, false, 1f));
        assertThrows(IllegalArgumentException.class, () -> new ExpertRouting(GatingFunction.SOFTMAX, Selection.GROUP_MAX,
                4, 5, false, Weighting.DEEPSEEK_V2, false, 1f));
        // 16 experts in 4 groups of 4, 1 group kept: at most 4 experts per token.
        ExpertRouting oneGroup = new ExpertRouting(GatingFunction.SOFTMAX, Selection.GROUP_MAX, 4, 1, false,
                Weighting.DEEPSEEK_V2, false, 1f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(oneGroup, 5));
        assertEquals("invalid hyper-parameter experts per token (at most topk_group * group size = 4): 5", e.getMessage());
    }

    /** Random tokens: the engine's experts and weights equal the reference's. */
    private static void check(ExpertRouting routing, int k) {
        SplittableRandom rnd = new SplittableRandom(routing.hashCode() * 31L + k);
        for (int token = 0; token < 300; token++) {
            float[] logits = new float[E];
            float[] bias = routing.selectionBias() ? new float[E] : null;
            for (int e = 0; e < E; e++) {
                logits[e] = (float) (rnd.nextGaussian() * 2);
                if (bias != null) {
                    bias[e] = (float) (rnd.nextDouble() * 0.2 - 0.1);
                }
            }
            ExpertRouter.Routing got = route(routing, logits, bias, k);
            double[] want = reference(routing, logits, bias, k);
            for (int s = 0; s < k; s++) {
                int e = got.experts()[s];
                assertFalse(Double.isNaN(want[e]), "token " + token + ": expert " + e + " chosen, reference chose "
                        + Arrays.toString(want));
                assertEquals(want[e], got.weights()[s], 2e-6 * Math.max(1, Math.abs(want[e])), "token " + token + " expert " + e);
            }
            assertEquals(k, Arrays.stream(got.experts()).distinct().count());
        }
    }

    /** DeepSeek's gate in double: the weight of each chosen expert, NaN for the others. */
    private static double[] reference(ExpertRouting r, float[] logits, float[] bias, int k) {
        double[] scores = new double[E];
        if (r.scoring() == GatingFunction.SOFTMAX) {
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                max = Math.max(max, l);
            }
            double sum = 0;
            for (int e = 0; e < E; e++) {
                scores[e] = Math.exp(logits[e] - max);
                sum += scores[e];
            }
            for (int e = 0; e < E; e++) {
                scores[e] /= sum;
            }
        } else {
            for (int e = 0; e < E; e++) {
                scores[e] = 1 / (1 + Math.exp(-logits[e]));
            }
        }
        double[] choice = new double[E];
        for (int e = 0; e < E; e++) {
            choice[e] = scores[e] + (bias == null ? 0 : bias[e]);
        }
        if (r.selection() != Selection.GREEDY) {
            int size = E / r.numGroups();
            double[] group = new double[r.numGroups()];
            for (int g = 0; g < r.numGroups(); g++) {
                double[] members = Arrays.copyOfRange(choice, g * size, (g + 1) * size);
                Arrays.sort(members);
                group[g] = r.selection() == Selection.GROUP_MAX ? members[size - 1] : members[size - 1] + members[size - 2];
            }
            boolean[] keep = new boolean[r.numGroups()];
            for (int g : topK(group, r.topkGroup())) {
                keep[g] = true;
            }
            for (int e = 0; e < E; e++) {
                if (!keep[e / size]) {
                    choice[e] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        int[] chosen = topK(choice, k);
        double sum = 0;
        for (int e : chosen) {
            sum += scores[e];
        }
        double[] weights = new double[E];
        Arrays.fill(weights, Double.NaN);
        for (int e : chosen) {
            double w = scores[e];
            boolean normalise = r.normTopkProb() && (k > 1 || r.weighting() == Weighting.LLAMA_CPP);
            switch (r.weighting()) {
                case LLAMA_CPP -> w = (normalise ? w / sum : w) * r.scale();
                case DEEPSEEK_V2 -> w = normalise ? w / (sum + 1e-20) : w * r.scale();
                case DEEPSEEK_V3 -> w = (normalise ? w / (sum + 1e-20) : w) * r.scale();
            }
            weights[e] = w;
        }
        return weights;
    }

    private static int[] topK(double[] v, int k) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> v[b] != v[a] ? Double.compare(v[b], v[a]) : Integer.compare(a, b));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    private static ExpertRouter.Routing route(ExpertRouting routing, float[] logits, float[] bias, int k) {
        ModelConfig c = config(routing, k);
        float[] identity = new float[E * E];
        for (int e = 0; e < E; e++) {
            identity[e * E + e] = 1f;
        }
        WeightMatrix router = new WeightMatrix("router", GgmlType.F32, E, E, MemorySegment.ofArray(identity));
        return new ExpertRouter(c, new ScalarOps()).route(router, bias, logits.clone(), 1);
    }

    static ModelConfig config(ExpertRouting routing, int k) {
        return new ModelConfig("router-test", 100, 64, E, 1, 1, 0, 8, E, k, 0, 0, 1, 0, 8, 8, 8, 8, 1e-6f, 10000f,
                RopeScaling.none(64), RopePairing.INTERLEAVED, routing, false);
    }

    private static int[] sorted(int[] a) {
        int[] s = a.clone();
        Arrays.sort(s);
        return s;
    }
}
