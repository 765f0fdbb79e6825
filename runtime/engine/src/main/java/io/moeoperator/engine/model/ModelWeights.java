package io.moeoperator.engine.model;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufFile;
import io.moeoperator.engine.kernel.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * All weights of a deepseek2 model, as views of the memory-mapped file with the names llama.cpp
 * uses. The only weights computed at load time are the per-head transposed key up-projections
 * (W_UK^T) that absorbed MLA attention multiplies queries with.
 */
public record ModelWeights(
        WeightMatrix tokenEmbedding, // (vocab, hidden)
        float[] outputNorm,          // (hidden)
        WeightMatrix output,         // (vocab, hidden)
        List<LayerWeights> layers) {

    public static ModelWeights load(GgufFile file, ModelConfig c) {
        return load(file, c, e -> true);
    }

    /** Loads every weight but, of the routed experts, only those {@code heldExperts} selects. */
    public static ModelWeights load(GgufFile file, ModelConfig c, IntPredicate heldExperts) {
        TensorLoader t = new TensorLoader(file);
        List<LayerWeights> layers = new ArrayList<>(c.numLayers());
        for (int l = 0; l < c.numLayers(); l++) {
            layers.add(loadLayer(t, c, l, heldExperts));
        }
        return new ModelWeights(
                t.matrix("token_embd.weight", c.hidden(), c.vocabSize()),
                t.vector("output_norm.weight", c.hidden()),
                t.matrix("output.weight", c.hidden(), c.vocabSize()),
                List.copyOf(layers));
    }

    private static LayerWeights loadLayer(TensorLoader t, ModelConfig c, int l, IntPredicate held) {
        String p = "blk." + l + ".";
        int h = c.hidden();
        int qOut = c.numHeads() * c.qkHead();
        boolean qLora = t.has(p + "attn_q_a.weight");
        if (qLora && c.qLoraRank() == 0) {
            throw new IllegalArgumentException("layer " + l + " has attn_q_a but attention.q_lora_rank is not set");
        }
        WeightMatrix kvB = t.matrix(p + "attn_kv_b.weight", c.kvLoraRank(), c.numHeads() * (c.qkNope() + c.vHead()));
        boolean moe = c.isMoeLayer(l);
        boolean shared = moe && c.numSharedExperts() > 0;
        int ffShared = c.numSharedExperts() * c.ffExpert();
        return new LayerWeights(
                t.vector(p + "attn_norm.weight", h),
                qLora ? null : t.matrix(p + "attn_q.weight", h, qOut),
                qLora ? t.matrix(p + "attn_q_a.weight", h, c.qLoraRank()) : null,
                qLora ? t.vector(p + "attn_q_a_norm.weight", c.qLoraRank()) : null,
                qLora ? t.matrix(p + "attn_q_b.weight", c.qLoraRank(), qOut) : null,
                t.matrix(p + "attn_kv_a_mqa.weight", h, c.kvLoraRank() + c.qkRope()),
                t.vector(p + "attn_kv_a_norm.weight", c.kvLoraRank()),
                kvB.type(),
                transposedKeyUp(kvB, c),
                valueUp(kvB, c),
                t.matrix(p + "attn_output.weight", c.numHeads() * c.vHead(), h),
                t.vector(p + "ffn_norm.weight", h),
                moe ? null : t.matrix(p + "ffn_gate.weight", h, c.ffDense()),
                moe ? null : t.matrix(p + "ffn_up.weight", h, c.ffDense()),
                moe ? null : t.matrix(p + "ffn_down.weight", c.ffDense(), h),
                moe ? t.matrix(p + "ffn_gate_inp.weight", h, c.numExperts()) : null,
                moe && t.has(p + "exp_probs_b.bias") ? t.vector(p + "exp_probs_b.bias", c.numExperts()) : null,
                moe ? t.stack(p + "ffn_gate_exps.weight", h, c.ffExpert(), c.numExperts(), held) : null,
                moe ? t.stack(p + "ffn_up_exps.weight", h, c.ffExpert(), c.numExperts(), held) : null,
                moe ? t.stack(p + "ffn_down_exps.weight", c.ffExpert(), h, c.numExperts(), held) : null,
                shared ? t.matrix(p + "ffn_gate_shexp.weight", h, ffShared) : null,
                shared ? t.matrix(p + "ffn_up_shexp.weight", h, ffShared) : null,
                shared ? t.matrix(p + "ffn_down_shexp.weight", ffShared, h) : null);
    }

    /** Bytes of routed-expert weights this copy holds (all three projections, every layer). */
    public long routedExpertBytes() {
        long bytes = 0;
        for (LayerWeights w : layers) {
            if (w.isMoe()) {
                for (WeightMatrix[] stack : List.of(w.expertGate(), w.expertUp(), w.expertDown())) {
                    for (WeightMatrix m : stack) {
                        bytes += m == null ? 0 : m.data().byteSize();
                    }
                }
            }
        }
        return bytes;
    }

    /** Bytes of the F32 copies made at load (W_UK^T and W_UV per head and layer), held in native memory. */
    public long nativeBytes() {
        long bytes = 0;
        for (LayerWeights w : layers) {
            for (WeightMatrix[] perHead : List.of(w.ukT(), w.uv())) {
                for (WeightMatrix m : perHead) {
                    bytes += m.data().byteSize();
                }
            }
        }
        return bytes;
    }

    /**
     * attn_kv_b maps the latent to per-head [k_nope | v] rows. W_UK[h] is the (qkNope, kvLora) block
     * of head h; absorbed attention needs its transpose so q_latent = W_UK^T q_nope is a plain matmul.
     * Both absorbed projections are kept in F32: llama.cpp multiplies attn_kv_b by the (rounded)
     * latent once per token and attends in F32, so applying the same weights to F32 queries and to
     * the F32 attention-weighted latent is the same arithmetic up to summation order.
     */
    private static WeightMatrix[] transposedKeyUp(WeightMatrix kvB, ModelConfig c) {
        int lora = c.kvLoraRank();
        int nope = c.qkNope();
        int perHead = nope + c.vHead();
        WeightMatrix[] out = new WeightMatrix[c.numHeads()];
        float[] row = new float[lora];
        for (int h = 0; h < c.numHeads(); h++) {
            float[] t = new float[lora * nope]; // (lora, nope)
            for (int j = 0; j < nope; j++) {
                GgmlCodec.decode(kvB.type(), kvB.data(), (long) (h * perHead + j) * lora, row, 0, lora);
                for (int i = 0; i < lora; i++) {
                    t[i * nope + j] = row[i];
                }
            }
            out[h] = f32(kvB.name() + ".uk_t[" + h + "]", t, lora, nope);
        }
        return out;
    }

    private static WeightMatrix[] valueUp(WeightMatrix kvB, ModelConfig c) {
        int lora = c.kvLoraRank();
        int perHead = c.qkNope() + c.vHead();
        WeightMatrix[] out = new WeightMatrix[c.numHeads()];
        for (int h = 0; h < c.numHeads(); h++) {
            float[] v = new float[c.vHead() * lora]; // (vHead, lora)
            GgmlCodec.decode(kvB.type(), kvB.data(), (long) (h * perHead + c.qkNope()) * lora, v, 0, v.length);
            out[h] = f32(kvB.name() + ".uv[" + h + "]", v, c.vHead(), lora);
        }
        return out;
    }

    private static WeightMatrix f32(String name, float[] values, int rows, int cols) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 4, 64);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
        return new WeightMatrix(name, GgmlType.F32, rows, cols, seg);
    }
}
