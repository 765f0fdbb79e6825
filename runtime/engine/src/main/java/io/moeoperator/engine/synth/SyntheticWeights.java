package io.moeoperator.engine.synth;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufWeightSource;
import io.moeoperator.engine.gguf.GgufWriter.RowSource;
import io.moeoperator.engine.model.TensorRole;
import java.util.Arrays;
import java.util.SplittableRandom;

import static io.moeoperator.engine.model.TensorRole.*;

/**
 * The weights of a synthetic model, by role, in one order, whatever file they go to: each writer
 * is a {@link Sink} that names and lays them out its way. Each tensor draws from its own generator
 * seeded by the model seed and its llama.cpp name (as the first writer did, so GGUF fixtures keep
 * their bytes), so a tensor's values do not depend on which other tensors exist or on the format.
 */
final class SyntheticWeights {

    /** Receives every tensor in order. Matrices are (rows = out, cols = in); rows are drawn in order. */
    interface Sink {
        void matrix(TensorRole role, int layer, GgmlType type, int rows, int cols, RowSource src);

        /** A 1-D F32 tensor. */
        void vector(TensorRole role, int layer, int n, RowSource src);

        /** A layer's routed experts: {@code numExperts} matrices whose rows are drawn expert after expert from {@code src}. */
        void experts(TensorRole role, int layer, GgmlType type, int rows, int cols, int numExperts, RowSource src);
    }

    private SyntheticWeights() {}

    static void emit(SynthSpec s, SyntheticVocab vocab, Sink sink) {
        int h = s.hidden();
        GgmlType t = s.weightType();
        sink.matrix(TOKEN_EMBEDDING, -1, t, s.vocabSize(), h, uniform(s, TOKEN_EMBEDDING, -1, 1f, 0f));
        for (int l = 0; l < s.numLayers(); l++) {
            norm(sink, s, ATTN_NORM, l, h);
            if (s.qLoraRank() > 0) {
                linear(sink, s, Q_A, l, s.qLoraRank(), h);
                norm(sink, s, Q_A_NORM, l, s.qLoraRank());
                linear(sink, s, Q_B, l, s.numHeadsTimesQk(), s.qLoraRank());
            } else {
                linear(sink, s, Q, l, s.numHeadsTimesQk(), h);
            }
            linear(sink, s, KV_A_MQA, l, s.kvLoraRank() + s.qkRope(), h);
            norm(sink, s, KV_A_NORM, l, s.kvLoraRank());
            linear(sink, s, KV_B, l, s.numHeads() * (s.qkNope() + s.vHead()), s.kvLoraRank());
            residual(sink, s, ATTN_OUTPUT, l, h, s.numHeads() * s.vHead());
            norm(sink, s, FFN_NORM, l, h);
            if (l < s.numDenseLeading()) {
                linear(sink, s, DENSE_GATE, l, s.ffDense(), h);
                linear(sink, s, DENSE_UP, l, s.ffDense(), h);
                residual(sink, s, DENSE_DOWN, l, h, s.ffDense());
                continue;
            }
            // The router stays F32 in every file, as llama.cpp's quantizer leaves ffn_gate_inp alone.
            sink.matrix(ROUTER, l, GgmlType.F32, s.numExperts(), h, uniform(s, ROUTER, l, 2f / (float) Math.sqrt(h), 0f));
            if (s.routerBias()) {
                sink.vector(ROUTER_BIAS, l, s.numExperts(), uniform(s, ROUTER_BIAS, l, 0.1f, 0f));
            }
            experts(sink, s, EXPERT_GATE, l, s.ffExpert(), h, 1f);
            experts(sink, s, EXPERT_UP, l, s.ffExpert(), h, 1f);
            experts(sink, s, EXPERT_DOWN, l, h, s.ffExpert(), residualScale(s));
            if (s.numSharedExperts() > 0) {
                int ff = s.numSharedExperts() * s.ffExpert();
                linear(sink, s, SHARED_GATE, l, ff, h);
                linear(sink, s, SHARED_UP, l, ff, h);
                residual(sink, s, SHARED_DOWN, l, h, ff);
            }
        }
        norm(sink, s, OUTPUT_NORM, -1, h);
        // (vocab, hidden): one row per token; tokens the model does not write get zeros (SyntheticVocab#writesText);
        // rows past the tokenizer's tokens (padding) keep random values, as untrained rows do.
        RowSource output = uniform(s, OUTPUT, -1, s.logitScale() / (float) Math.sqrt(h), 0f);
        sink.matrix(OUTPUT, -1, t, s.vocabSize(), h, (row, dst) -> {
            output.fill(row, dst); // drawn either way, so a row's values do not depend on the others' tokens
            if (row < vocab.tokens().size() && !vocab.writesText((int) row)) {
                Arrays.fill(dst, 0f);
            }
        });
    }

    /** Linear(in -> out), values with standard deviation 1/sqrt(in) so activations stay O(1). */
    private static void linear(Sink sink, SynthSpec s, TensorRole role, int l, int out, int in) {
        sink.matrix(role, l, s.weightType(), out, in, uniform(s, role, l, 1f / (float) Math.sqrt(in), 0f));
    }

    /**
     * A projection that writes into the residual stream, scaled down by 1/sqrt(2 * layers) (GPT-2's
     * initialisation). Without it a deep random network is chaotic: rounding differences of one ulp
     * grow layer by layer until greedy choices are coin flips, which no trained model does.
     */
    private static void residual(Sink sink, SynthSpec s, TensorRole role, int l, int out, int in) {
        sink.matrix(role, l, s.weightType(), out, in, uniform(s, role, l, residualScale(s) / (float) Math.sqrt(in), 0f));
    }

    private static float residualScale(SynthSpec s) {
        return 1f / (float) Math.sqrt(2.0 * s.numLayers());
    }

    private static void experts(Sink sink, SynthSpec s, TensorRole role, int l, int out, int in, float scale) {
        sink.experts(role, l, s.weightType(), out, in, s.numExperts(), uniform(s, role, l, scale / (float) Math.sqrt(in), 0f));
    }

    private static void norm(Sink sink, SynthSpec s, TensorRole role, int l, int n) {
        sink.vector(role, l, n, uniform(s, role, l, 0.1f, 1f));
    }

    /** Uniform values with the given standard deviation around {@code mean}, drawn row after row. */
    private static RowSource uniform(SynthSpec s, TensorRole role, int layer, float std, float mean) {
        String name = GgufWeightSource.tensorName(role, layer);
        SplittableRandom rnd = new SplittableRandom(s.seed() * 0x9E3779B97F4A7C15L ^ name.hashCode());
        float halfWidth = std * (float) Math.sqrt(3);
        return (row, dst) -> {
            for (int i = 0; i < dst.length; i++) {
                dst[i] = mean + (float) (rnd.nextDouble() * 2 - 1) * halfWidth;
            }
        };
    }
}
