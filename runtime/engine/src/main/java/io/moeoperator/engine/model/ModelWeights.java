package io.moeoperator.engine.model;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.kernel.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

import static io.moeoperator.engine.model.TensorRole.*;

/**
 * All weights of a model, by role from a {@link WeightSource} (views of its mapped files), with
 * every shape checked against the {@link ModelConfig}. The only weights computed at load time are
 * the per-head transposed key up-projections (W_UK^T) and value up-projections (W_UV) that
 * absorbed MLA attention multiplies with.
 */
public record ModelWeights(
        WeightMatrix tokenEmbedding, // (vocab, hidden)
        float[] outputNorm,          // (hidden)
        WeightMatrix output,         // (vocab, hidden)
        List<LayerWeights> layers) {

    public static ModelWeights load(WeightSource source) {
        return load(source, e -> true);
    }

    /**
     * Loads every weight but, of the routed experts, only those {@code heldExperts} selects. When
     * that is not all of them (an expert-parallel rank), the kernel is told to read only what is
     * looked up ({@link PageAdvice}): no read-ahead into other ranks' experts, and each tensor the
     * rank holds is read as a whole as soon as it is looked up.
     */
    public static ModelWeights load(WeightSource allOf, IntPredicate heldExperts) {
        ModelConfig c = allOf.config();
        boolean partial = false;
        for (int e = 0; e < c.numExperts(); e++) {
            partial |= !heldExperts.test(e);
        }
        WeightSource source = allOf;
        if (partial) {
            allOf.mappings().forEach(PageAdvice::random);
            source = allOf.mapMatrices(ModelWeights::prefetch); // each tensor looked up is read whole
        }
        List<LayerWeights> layers = new ArrayList<>(c.numLayers());
        for (int l = 0; l < c.numLayers(); l++) {
            layers.add(loadLayer(source, c, l, heldExperts));
        }
        return new ModelWeights(
                source.matrix(TOKEN_EMBEDDING, -1, c.vocabSize(), c.hidden()),
                source.vector(OUTPUT_NORM, -1, c.hidden()),
                source.matrix(OUTPUT, -1, c.vocabSize(), c.hidden()),
                List.copyOf(layers));
    }

    private static LayerWeights loadLayer(WeightSource s, ModelConfig c, int l, IntPredicate held) {
        int h = c.hidden();
        int qOut = c.numHeads() * c.qkHead();
        boolean qLora = c.qLoraRank() > 0;
        WeightMatrix kvB = s.matrix(KV_B, l, c.numHeads() * (c.qkNope() + c.vHead()), c.kvLoraRank());
        boolean moe = c.isMoeLayer(l);
        boolean shared = moe && c.numSharedExperts() > 0;
        int ffShared = c.numSharedExperts() * c.ffExpert();
        return new LayerWeights(
                s.vector(ATTN_NORM, l, h),
                qLora ? null : s.matrix(Q, l, qOut, h),
                qLora ? s.matrix(Q_A, l, c.qLoraRank(), h) : null,
                qLora ? s.vector(Q_A_NORM, l, c.qLoraRank()) : null,
                qLora ? s.matrix(Q_B, l, qOut, c.qLoraRank()) : null,
                s.matrix(KV_A_MQA, l, c.kvLoraRank() + c.qkRope(), h),
                s.vector(KV_A_NORM, l, c.kvLoraRank()),
                kvB.activationType(),
                transposedKeyUp(kvB, c),
                valueUp(kvB, c),
                s.matrix(ATTN_OUTPUT, l, h, c.numHeads() * c.vHead()),
                s.vector(FFN_NORM, l, h),
                moe ? null : s.matrix(DENSE_GATE, l, c.ffDense(), h),
                moe ? null : s.matrix(DENSE_UP, l, c.ffDense(), h),
                moe ? null : s.matrix(DENSE_DOWN, l, h, c.ffDense()),
                moe ? s.matrix(ROUTER, l, c.numExperts(), h) : null,
                moe && c.routing().selectionBias() ? s.vector(ROUTER_BIAS, l, c.numExperts()) : null,
                moe ? experts(s, EXPERT_GATE, l, c.ffExpert(), h, c, held) : null,
                moe ? experts(s, EXPERT_UP, l, c.ffExpert(), h, c, held) : null,
                moe ? experts(s, EXPERT_DOWN, l, h, c.ffExpert(), c, held) : null,
                shared ? s.matrix(SHARED_GATE, l, ffShared, h) : null,
                shared ? s.matrix(SHARED_UP, l, ffShared, h) : null,
                shared ? s.matrix(SHARED_DOWN, l, h, ffShared) : null);
    }

    /** One matrix per expert; null for the experts this copy does not hold, which are never looked up. */
    private static WeightMatrix[] experts(WeightSource s, TensorRole role, int l, int rows, int cols, ModelConfig c,
                                          IntPredicate held) {
        WeightMatrix[] experts = new WeightMatrix[c.numExperts()];
        for (int e = 0; e < experts.length; e++) {
            if (held.test(e)) {
                experts[e] = s.expert(role, l, e, rows, cols);
            }
        }
        return experts;
    }

    /** Bytes of routed-expert weights this copy holds (all three projections and their scales, every layer). */
    public long routedExpertBytes() {
        long bytes = 0;
        for (LayerWeights w : layers) {
            if (w.isMoe()) {
                for (WeightMatrix[] stack : List.of(w.expertGate(), w.expertUp(), w.expertDown())) {
                    for (WeightMatrix m : stack) {
                        bytes += m == null ? 0 : m.data().byteSize() + (m.scales() == null ? 0 : m.scales().data().byteSize());
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
     * kv_b maps the latent to per-head [k_nope | v] rows (both llama.cpp's attn_kv_b and
     * transformers' kv_b_proj, whose output is viewed as (heads, qk_nope + v_head) and split per
     * head). W_UK[h] is the (qkNope, kvLora) block of head h; absorbed attention needs its transpose
     * so q_latent = W_UK^T q_nope is a plain matmul. Both absorbed projections are kept in F32:
     * llama.cpp multiplies attn_kv_b by the (rounded) latent once per token and attends in F32, so
     * applying the same weights to F32 queries and to the F32 attention-weighted latent is the same
     * arithmetic up to summation order.
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
                WeightRows.decode(kvB, h * perHead + j, 0, row, 0, lora);
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
            for (int j = 0; j < c.vHead(); j++) {
                WeightRows.decode(kvB, h * perHead + c.qkNope() + j, 0, v, j * lora, lora);
            }
            out[h] = f32(kvB.name() + ".uv[" + h + "]", v, c.vHead(), lora);
        }
        return out;
    }

    /** Starts reading a matrix (and its scales) from the file whole ({@link PageAdvice#willNeed}). */
    private static WeightMatrix prefetch(WeightMatrix m) {
        PageAdvice.willNeed(m.data());
        if (m.scales() != null) {
            PageAdvice.willNeed(m.scales().data());
        }
        return m;
    }

    private static WeightMatrix f32(String name, float[] values, int rows, int cols) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 4, 64);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
        return new WeightMatrix(name, GgmlType.F32, rows, cols, seg);
    }
}
