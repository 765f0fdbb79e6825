package io.moeoperator.engine.ep;

/** How a rank computes peers' calls with its own expert weights (the model implements it). */
@FunctionalInterface
public interface ExpertCompute {
    /**
     * @param experts expert ids, each held by this rank
     * @param counts  rows per expert
     * @param x       (sum(counts), hidden) inputs, expert after expert
     * @return (sum(counts), hidden) outputs in the same order
     * @throws IllegalArgumentException when the layer has no experts or an expert is not held here
     */
    float[] compute(int layer, int[] experts, int[] counts, float[] x);
}
