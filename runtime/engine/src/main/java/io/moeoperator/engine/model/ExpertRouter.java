package io.moeoperator.engine.model;

import io.moeoperator.engine.kernel.TensorOps;
import io.moeoperator.engine.kernel.WeightMatrix;
import java.util.Arrays;

/**
 * Chooses each token's experts and their weights as {@link ExpertRouting} says: F32 router logits,
 * softmax or sigmoid scores, an optional selection-only bias, an optional limit to the best groups
 * of experts, top-k, and the weighting (llama.cpp's, DeepSeek-V2's or DeepSeek-V3's).
 */
final class ExpertRouter {
    private final ModelConfig c;
    private final ExpertRouting r;
    private final TensorOps ops;

    ExpertRouter(ModelConfig c, TensorOps ops) {
        this.c = c;
        this.r = c.routing();
        this.ops = ops;
    }

    /** Chosen experts (in descending selection score) and their weights per token, both (n, k). */
    record Routing(int[] experts, float[] weights) {}

    /** {@code router}: (numExperts, hidden); {@code bias}: (numExperts) or null; {@code xn}: (n, hidden). */
    Routing route(WeightMatrix router, float[] bias, float[] xn, int n) {
        int numExperts = c.numExperts();
        int k = c.numExpertsUsed();
        float[] probs = new float[n * numExperts]; // (n, numExperts)
        ops.matmul(router, xn, probs, n);
        boolean separate = bias != null || r.limitsGroups();
        float[] select = separate ? new float[probs.length] : probs; // (n, numExperts) scores the choice is made on
        int[] experts = new int[n * k];
        float[] weights = new float[n * k];
        for (int t = 0; t < n; t++) {
            int off = t * numExperts;
            switch (r.scoring()) {
                case SOFTMAX -> ops.softmax(probs, off, numExperts);
                case SIGMOID -> {
                    for (int e = 0; e < numExperts; e++) {
                        probs[off + e] = 1f / (1f + (float) Math.exp(-probs[off + e]));
                    }
                }
            }
            if (separate) {
                // The bias only steers selection; the weights come from the unbiased probabilities.
                for (int e = 0; e < numExperts; e++) {
                    select[off + e] = bias == null ? probs[off + e] : probs[off + e] + bias[e];
                }
            }
            if (r.limitsGroups()) {
                keepBestGroups(select, off);
            }
            ops.topK(select, off, numExperts, k, experts, t * k);
            weigh(probs, off, experts, weights, t * k, k);
        }
        return new Routing(experts, weights);
    }

    /**
     * Scores each group of experts (its best score, or the sum of its best two), keeps the
     * {@code topk_group} best groups (equal scores: lower index first) and rules the other groups'
     * experts out with -inf. DeepSeek-V2 fills them with 0 instead; softmax scores are positive, so
     * the same experts win unless a kept expert's probability underflowed to 0.
     */
    private void keepBestGroups(float[] select, int off) {
        int numGroups = r.numGroups();
        int size = c.numExperts() / numGroups;
        float[] groupScores = new float[numGroups];
        for (int g = 0; g < numGroups; g++) {
            int from = off + g * size;
            float best = Float.NEGATIVE_INFINITY;
            float second = Float.NEGATIVE_INFINITY;
            for (int e = from; e < from + size; e++) {
                float v = select[e];
                if (v > best) {
                    second = best;
                    best = v;
                } else if (v > second) {
                    second = v;
                }
            }
            groupScores[g] = r.selection() == ExpertRouting.Selection.GROUP_TOP2_SUM ? best + second : best;
        }
        int[] kept = new int[r.topkGroup()];
        ops.topK(groupScores, 0, numGroups, kept.length, kept, 0);
        boolean[] keep = new boolean[numGroups];
        for (int g : kept) {
            keep[g] = true;
        }
        for (int g = 0; g < numGroups; g++) {
            if (!keep[g]) {
                Arrays.fill(select, off + g * size, off + (g + 1) * size, Float.NEGATIVE_INFINITY);
            }
        }
    }

    /** Weights of the k chosen experts from their unbiased probabilities, in selection order. */
    private void weigh(float[] probs, int off, int[] experts, float[] weights, int at, int k) {
        float sum = 0;
        for (int s = 0; s < k; s++) {
            weights[at + s] = probs[off + experts[at + s]];
            sum += weights[at + s];
        }
        boolean normalise = r.normTopkProb();
        switch (r.weighting()) {
            case LLAMA_CPP -> {
                for (int s = 0; s < k; s++) {
                    if (normalise) {
                        weights[at + s] /= sum;
                    }
                    weights[at + s] *= r.scale();
                }
            }
            case DEEPSEEK_V2 -> {
                for (int s = 0; s < k; s++) {
                    if (k > 1 && normalise) {
                        weights[at + s] /= sum + 1e-20f;
                    } else {
                        weights[at + s] *= r.scale();
                    }
                }
            }
            case DEEPSEEK_V3 -> {
                for (int s = 0; s < k; s++) {
                    if (k > 1 && normalise) {
                        weights[at + s] /= sum + 1e-20f;
                    }
                    weights[at + s] *= r.scale();
                }
            }
        }
    }
}
