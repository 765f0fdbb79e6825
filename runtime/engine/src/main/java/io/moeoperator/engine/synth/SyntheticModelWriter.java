package io.moeoperator.engine.synth;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufModelConfig;
import io.moeoperator.engine.gguf.GgufWeightSource;
import io.moeoperator.engine.gguf.GgufWriter;
import io.moeoperator.engine.model.TensorRole;
import java.io.IOException;
import java.nio.file.Path;

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

    /** GGUF's layout: [in, out] matrices, experts stacked [in, out, numExperts], llama.cpp's names. */
    private static void tensors(GgufWriter w, SynthSpec s, SyntheticVocab vocab) {
        SyntheticWeights.emit(s, vocab, new SyntheticWeights.Sink() {
            @Override
            public void matrix(TensorRole role, int layer, GgmlType type, int rows, int cols, GgufWriter.RowSource src) {
                w.addTensor(GgufWeightSource.tensorName(role, layer), type, new long[] {cols, rows}, src);
            }

            @Override
            public void vector(TensorRole role, int layer, int n, GgufWriter.RowSource src) {
                w.addTensor(GgufWeightSource.tensorName(role, layer), GgmlType.F32, new long[] {n}, src);
            }

            @Override
            public void experts(TensorRole role, int layer, GgmlType type, int rows, int cols, int numExperts,
                                GgufWriter.RowSource src) {
                w.addTensor(GgufWeightSource.tensorName(role, layer), type, new long[] {cols, rows, numExperts}, src);
            }
        });
    }
}
