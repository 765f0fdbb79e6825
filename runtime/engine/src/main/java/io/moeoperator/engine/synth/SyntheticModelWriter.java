package io.moeoperator.engine.synth;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufModelConfig;
import io.moeoperator.engine.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Writes a seeded random-weight deepseek2 GGUF that llama.cpp b4916 loads: the demo model and the
 * source of every engine test fixture. Each tensor draws from its own generator seeded by the model
 * seed and the tensor name, so a tensor's values do not depend on which other tensors exist.
 */
public final class SyntheticModelWriter {
    private static final String P = GgufModelConfig.ARCH + ".";

    private SyntheticModelWriter() {}

    public static void write(SynthSpec s, Path out) throws IOException {
        write(s, SyntheticVocab.build(s.vocabSize(), s.preTokenizer()), out);
    }

    /** Writes random weights around a given vocabulary (its size must be the spec's vocab size). */
    public static void write(SynthSpec s, SyntheticVocab vocab, Path out) throws IOException {
        if (vocab.tokens().size() != s.vocabSize()) {
            throw new IllegalArgumentException("vocabulary has " + vocab.tokens().size() + " tokens but the spec says "
                    + s.vocabSize());
        }
        GgufWriter w = new GgufWriter();
        metadata(w, s);
        vocab.writeTo(w);
        tensors(w, s, vocab);
        w.write(out);
    }

    private static void metadata(GgufWriter w, SynthSpec s) {
        w.putString("general.architecture", GgufModelConfig.ARCH);
        w.putString("general.name", "synthetic-deepseek2-h" + s.hidden() + "-l" + s.numLayers() + "-e" + s.numExperts());
        w.putU32("general.file_type", switch (s.weightType()) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case BF16 -> 32;
            case F8_E4M3 -> throw new IllegalArgumentException("GGUF files have no F8_E4M3 tensors");
        });
        w.putU32(P + "context_length", s.contextLength());
        w.putU32(P + "embedding_length", s.hidden());
        w.putU32(P + "block_count", s.numLayers());
        w.putU32(P + "feed_forward_length", s.ffDense());
        w.putU32(P + "attention.head_count", s.numHeads());
        w.putU32(P + "attention.head_count_kv", s.numHeads());
        w.putF32(P + "rope.freq_base", s.ropeTheta());
        w.putF32(P + "attention.layer_norm_rms_epsilon", s.rmsEps());
        w.putU32(P + "expert_used_count", s.numExpertsUsed());
        w.putU32(P + "expert_count", s.numExperts());
        w.putU32(P + "vocab_size", s.vocabSize());
        if (s.qLoraRank() > 0) {
            w.putU32(P + "attention.q_lora_rank", s.qLoraRank());
        }
        w.putU32(P + "attention.kv_lora_rank", s.kvLoraRank());
        w.putU32(P + "attention.key_length", s.qkNope() + s.qkRope());
        w.putU32(P + "attention.value_length", s.vHead());
        w.putU32(P + "rope.dimension_count", s.qkRope());
        w.putU32(P + "leading_dense_block_count", s.numDenseLeading());
        w.putU32(P + "expert_feed_forward_length", s.ffExpert());
        w.putU32(P + "expert_shared_count", s.numSharedExperts());
        w.putF32(P + "expert_weights_scale", s.expertWeightsScale());
        w.putBool(P + "expert_weights_norm", s.expertWeightsNorm());
        w.putU32(P + "expert_gating_func", s.gating().ggufId());
        if (s.yarnFactor() != 0) {
            w.putString(P + "rope.scaling.type", "yarn");
            w.putF32(P + "rope.scaling.factor", s.yarnFactor());
            w.putU32(P + "rope.scaling.original_context_length", s.yarnOriginalContext());
        }
        // llama.cpp requires the key even without YaRN.
        w.putF32(P + "rope.scaling.yarn_log_multiplier", s.yarnFactor() != 0 ? s.yarnLogMultiplier() : 0f);
    }

    private static void tensors(GgufWriter w, SynthSpec s, SyntheticVocab vocab) {
        int h = s.hidden();
        GgmlType t = s.weightType();
        long seed = s.seed();
        w.addTensor("token_embd.weight", t, shape(h, s.vocabSize()), uniform(seed, "token_embd.weight", 1f, 0f));
        for (int l = 0; l < s.numLayers(); l++) {
            String p = "blk." + l + ".";
            norm(w, seed, p + "attn_norm.weight", h);
            if (s.qLoraRank() > 0) {
                linear(w, s, p + "attn_q_a.weight", h, s.qLoraRank());
                norm(w, seed, p + "attn_q_a_norm.weight", s.qLoraRank());
                linear(w, s, p + "attn_q_b.weight", s.qLoraRank(), s.numHeadsTimesQk());
            } else {
                linear(w, s, p + "attn_q.weight", h, s.numHeadsTimesQk());
            }
            linear(w, s, p + "attn_kv_a_mqa.weight", h, s.kvLoraRank() + s.qkRope());
            norm(w, seed, p + "attn_kv_a_norm.weight", s.kvLoraRank());
            linear(w, s, p + "attn_kv_b.weight", s.kvLoraRank(), s.numHeads() * (s.qkNope() + s.vHead()));
            residual(w, s, p + "attn_output.weight", s.numHeads() * s.vHead(), h);
            norm(w, seed, p + "ffn_norm.weight", h);
            if (l < s.numDenseLeading()) {
                linear(w, s, p + "ffn_gate.weight", h, s.ffDense());
                linear(w, s, p + "ffn_up.weight", h, s.ffDense());
                residual(w, s, p + "ffn_down.weight", s.ffDense(), h);
                continue;
            }
            // The router stays F32 in every file, as llama.cpp's quantizer leaves ffn_gate_inp alone.
            w.addTensor(p + "ffn_gate_inp.weight", GgmlType.F32, shape(h, s.numExperts()),
                    uniform(seed, p + "ffn_gate_inp.weight", 2f / (float) Math.sqrt(h), 0f));
            if (s.routerBias()) {
                w.addTensor(p + "exp_probs_b.bias", GgmlType.F32, shape(s.numExperts()),
                        uniform(seed, p + "exp_probs_b.bias", 0.1f, 0f));
            }
            stack(w, s, p + "ffn_gate_exps.weight", h, s.ffExpert(), 1f);
            stack(w, s, p + "ffn_up_exps.weight", h, s.ffExpert(), 1f);
            stack(w, s, p + "ffn_down_exps.weight", s.ffExpert(), h, residualScale(s));
            if (s.numSharedExperts() > 0) {
                int ff = s.numSharedExperts() * s.ffExpert();
                linear(w, s, p + "ffn_gate_shexp.weight", h, ff);
                linear(w, s, p + "ffn_up_shexp.weight", h, ff);
                residual(w, s, p + "ffn_down_shexp.weight", ff, h);
            }
        }
        norm(w, seed, "output_norm.weight", h);
        // (vocab, hidden): one row per token; tokens the model does not write get zeros (SyntheticVocab#writesText).
        GgufWriter.RowSource output = uniform(seed, "output.weight", s.logitScale() / (float) Math.sqrt(h), 0f);
        w.addTensor("output.weight", t, shape(h, s.vocabSize()), (row, dst) -> {
            output.fill(row, dst); // drawn either way, so a row's values do not depend on the others' tokens
            if (!vocab.writesText((int) row)) {
                Arrays.fill(dst, 0f);
            }
        });
    }

    /** Linear(in -> out), values with standard deviation 1/sqrt(in) so activations stay O(1). */
    private static void linear(GgufWriter w, SynthSpec s, String name, int in, int out) {
        w.addTensor(name, s.weightType(), shape(in, out), uniform(s.seed(), name, 1f / (float) Math.sqrt(in), 0f));
    }

    /**
     * A projection that writes into the residual stream, scaled down by 1/sqrt(2 * layers) (GPT-2's
     * initialisation). Without it a deep random network is chaotic: rounding differences of one ulp
     * grow layer by layer until greedy choices are coin flips, which no trained model does.
     */
    private static void residual(GgufWriter w, SynthSpec s, String name, int in, int out) {
        w.addTensor(name, s.weightType(), shape(in, out),
                uniform(s.seed(), name, residualScale(s) / (float) Math.sqrt(in), 0f));
    }

    private static float residualScale(SynthSpec s) {
        return 1f / (float) Math.sqrt(2.0 * s.numLayers());
    }

    private static void stack(GgufWriter w, SynthSpec s, String name, int in, int out, float scale) {
        w.addTensor(name, s.weightType(), shape(in, out, s.numExperts()),
                uniform(s.seed(), name, scale / (float) Math.sqrt(in), 0f));
    }

    private static void norm(GgufWriter w, long seed, String name, int n) {
        w.addTensor(name, GgmlType.F32, shape(n), uniform(seed, name, 0.1f, 1f));
    }

    /** Uniform values with the given standard deviation around {@code mean}, drawn row after row. */
    private static GgufWriter.RowSource uniform(long seed, String name, float std, float mean) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
        float halfWidth = std * (float) Math.sqrt(3);
        return (row, dst) -> {
            for (int i = 0; i < dst.length; i++) {
                dst[i] = mean + (float) (rnd.nextDouble() * 2 - 1) * halfWidth;
            }
        };
    }

    private static long[] shape(long... dims) {
        return dims;
    }

}
