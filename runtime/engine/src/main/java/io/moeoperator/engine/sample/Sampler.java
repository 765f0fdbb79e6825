package io.moeoperator.engine.sample;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits: logit biases first, then greedy, or top-k -> top-p -> temperature ->
 * draw, the order llama.cpp's default sampler chain applies them. Seeded, so a request with a seed
 * is reproducible. A sampler reads only its own request's logits and never writes them, so what it
 * picks cannot depend on the other requests of a batch.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    /**
     * @param rawLogits one request's next-token logits, {@code (vocab)}; left unchanged. Bias ids at or
     *               beyond their length are skipped rather than thrown for, because the sampler runs
     *               on the step thread, where an exception would fail every request in the batch;
     *               the server refuses such ids before a request is submitted.
     */
    public int sample(float[] rawLogits) {
        float[] logits = params.logitBias().isEmpty() ? rawLogits : biased(rawLogits, params.logitBias());
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

    /** A copy of the logits with the biases added. */
    static float[] biased(float[] logits, Map<Integer, Float> bias) {
        float[] out = logits.clone();
        for (var e : bias.entrySet()) {
            int id = e.getKey();
            if (id < out.length) {
                out[id] += e.getValue();
            }
        }
        return out;
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
