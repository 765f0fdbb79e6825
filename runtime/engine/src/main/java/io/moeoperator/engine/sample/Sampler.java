package io.moeoperator.engine.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits: greedy, or top-k -> top-p -> temperature -> draw, the order llama.cpp's
 * default sampler chain applies them. Seeded, so a request with a seed is reproducible.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    public int sample(float[] logits) {
        if (params.isGreedy()) {
            return argmax(logits);
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int n = params.topK() > 0 ? Math.min(params.topK(), logits.length) : logits.length;

        if (params.topP() < 1f) {
            double[] p = softmax(logits, order, n, 1f);
            double cumulative = 0;
            for (int i = 0; i < n; i++) {
                cumulative += p[i];
                if (cumulative >= params.topP()) {
                    n = i + 1;
                    break;
                }
            }
        }
        double[] p = softmax(logits, order, n, params.temperature());
        double r = random.nextDouble();
        double cumulative = 0;
        for (int i = 0; i < n; i++) {
            cumulative += p[i];
            if (r < cumulative) {
                return order[i];
            }
        }
        return order[n - 1];
    }

    /** Index of the largest logit; the lowest index among equals. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double[] softmax(float[] logits, Integer[] order, int n, float temperature) {
        double[] p = new double[n];
        double max = logits[order[0]] / temperature;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(logits[order[i]] / temperature - max);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
