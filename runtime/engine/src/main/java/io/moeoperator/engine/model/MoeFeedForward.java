package io.moeoperator.engine.model;

import io.moeoperator.engine.kernel.TensorOps;
import io.moeoperator.engine.kernel.WeightMatrix;

/**
 * The MoE block: router, top-k selection, routed experts and the shared experts. Tokens routed to
 * the same expert are gathered and computed together, so each expert's weights stream from memory
 * once per step however many tokens chose it.
 */
final class MoeFeedForward {
    private final ModelConfig c;
    private final TensorOps ops;
    private final ExpertLoad load;

    MoeFeedForward(ModelConfig c, TensorOps ops, ExpertLoad load) {
        this.c = c;
        this.ops = ops;
        this.load = load;
    }

    /** {@code xn}: (n, hidden) normalised input; returns (n, hidden) = routed + shared output. */
    float[] forward(LayerWeights w, int layer, float[] xn, int n) {
        int k = c.numExpertsUsed();
        Routing routing = route(w, xn, n);
        int hidden = c.hidden();

        int[] counts = new int[c.numExperts()];
        for (int e : routing.experts()) {
            counts[e]++;
        }
        float[] expertOut = new float[n * k * hidden]; // (n, k, hidden): each token's k expert outputs
        for (int e = 0; e < c.numExperts(); e++) {
            int m = counts[e];
            if (m == 0) {
                continue;
            }
            int[] slots = new int[m]; // flat (token * k + slot) indices routed to e
            float[] xe = new float[m * hidden];
            for (int i = 0, j = 0; i < n * k; i++) {
                if (routing.experts()[i] == e) {
                    System.arraycopy(xn, (i / k) * hidden, xe, j * hidden, hidden);
                    slots[j++] = i;
                }
            }
            float[] ye = swiglu(w.expertGate()[e], w.expertUp()[e], w.expertDown()[e], xe, m);
            for (int j = 0; j < m; j++) {
                System.arraycopy(ye, j * hidden, expertOut, slots[j] * hidden, hidden);
            }
        }
        load.add(layer, counts);

        // Weighted sum in selection order, as llama.cpp adds its expert views.
        float[] out = new float[n * hidden];
        for (int t = 0; t < n; t++) {
            for (int s = 0; s < k; s++) {
                ops.axpy(routing.weights()[t * k + s], expertOut, (t * k + s) * hidden, out, t * hidden, hidden);
            }
        }
        if (w.sharedGate() != null) {
            float[] shared = swiglu(w.sharedGate(), w.sharedUp(), w.sharedDown(), xn, n);
            for (int i = 0; i < out.length; i++) {
                out[i] += shared[i];
            }
        }
        return out;
    }

    /** Chosen experts and their weights per token, both (n, k). */
    record Routing(int[] experts, float[] weights) {}

    Routing route(LayerWeights w, float[] xn, int n) {
        int numExperts = c.numExperts();
        int k = c.numExpertsUsed();
        float[] probs = new float[n * numExperts]; // (n, numExperts)
        ops.matmul(w.router(), xn, probs, n);
        float[] select = w.routerBias() == null ? probs : new float[probs.length];
        int[] experts = new int[n * k];
        float[] weights = new float[n * k];
        for (int t = 0; t < n; t++) {
            int off = t * numExperts;
            switch (c.gating()) {
                case SOFTMAX -> ops.softmax(probs, off, numExperts);
                case SIGMOID -> {
                    for (int e = 0; e < numExperts; e++) {
                        probs[off + e] = 1f / (1f + (float) Math.exp(-probs[off + e]));
                    }
                }
            }
            if (w.routerBias() != null) {
                // The bias only steers selection; the weights come from the unbiased probabilities.
                for (int e = 0; e < numExperts; e++) {
                    select[off + e] = probs[off + e] + w.routerBias()[e];
                }
            }
            ops.topK(select, off, numExperts, k, experts, t * k);
            float sum = 0;
            for (int s = 0; s < k; s++) {
                weights[t * k + s] = probs[off + experts[t * k + s]];
                sum += weights[t * k + s];
            }
            for (int s = 0; s < k; s++) {
                if (c.expertWeightsNorm()) {
                    weights[t * k + s] /= sum;
                }
                weights[t * k + s] *= c.expertWeightsScale();
            }
        }
        return new Routing(experts, weights);
    }

    /** down(silu(gate x) * up x) for (m, in) inputs. */
    private float[] swiglu(WeightMatrix gate, WeightMatrix up, WeightMatrix down, float[] x, int m) {
        float[] g = new float[m * gate.rows()];
        float[] u = new float[m * up.rows()];
        ops.matmul(gate, x, g, m);
        ops.matmul(up, x, u, m);
        ops.swiglu(g, u, g.length);
        float[] y = new float[m * down.rows()];
        ops.matmul(down, g, y, m);
        return y;
    }

    /** The dense MLP of the leading layers: same SwiGLU shape as an expert. */
    float[] dense(LayerWeights w, float[] xn, int n) {
        return swiglu(w.ffnGate(), w.ffnUp(), w.ffnDown(), xn, n);
    }
}
