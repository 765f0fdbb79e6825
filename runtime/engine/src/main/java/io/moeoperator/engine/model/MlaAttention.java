package io.moeoperator.engine.model;

import io.moeoperator.engine.kernel.ActivationRounding;
import io.moeoperator.engine.kernel.TensorOps;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Multi-head latent attention with absorbed projections. The cache holds only the normalised latent
 * c_kv and the rotated shared key k_pe; queries are moved into latent space instead of expanding keys
 * and values per head: {@code score = (W_UK^T q_nope) . c_kv + q_pe . k_pe}, and the value path is
 * {@code W_UV (sum_s p_s c_kv_s)}. Mathematically the same as llama.cpp's expanded form.
 *
 * <p>Projections run over every token of the batch at once; the attention itself runs per segment
 * (one sequence's tokens) against that sequence's cache.
 *
 * <p>The cache is native memory ({@link KvView}): a token's latent and key are computed in a heap row
 * by the usual kernels and copied in, and attention reads them with the segment forms of
 * {@code dot} and {@code axpy}, which give the array forms' bits, so results do not depend on where
 * the cache lives.
 */
final class MlaAttention {
    private final ModelConfig c;
    private final TensorOps ops;
    private final Rope rope;
    private final int qkHead;   // qkNope + qkRope per head
    private final int qOut;     // numHeads * qkHead: one token's queries
    private final int lora;     // kvLoraRank: one cached latent
    private final int ropeDims; // qkRope: one cached rotary key
    private final int nope;     // qkNope

    MlaAttention(ModelConfig c, TensorOps ops, Rope rope) {
        this.c = c;
        this.ops = ops;
        this.rope = rope;
        this.qkHead = c.qkHead();
        this.qOut = c.numHeads() * qkHead;
        this.lora = c.kvLoraRank();
        this.ropeDims = c.qkRope();
        this.nope = c.qkNope();
    }

    /**
     * Attends the batch's tokens and writes their latents into their sequences' caches.
     * {@code xn}: (n, hidden) normalised input. Returns (n, hidden).
     */
    float[] forward(LayerWeights w, int layer, float[] xn, ForwardBatch batch) {
        int n = batch.numTokens();
        float[] q = queries(w, xn, n);                 // (n, numHeads * qkHead)
        float[] kv = new float[n * (lora + ropeDims)];  // (n, kvLora + qkRope)
        ops.matmul(w.kvAMqa(), xn, kv, n);

        float[] latentRow = new float[lora];  // (kvLora): one token's normalised, rounded latent
        float[] ropeRow = new float[ropeDims]; // (qkRope): one token's rotated shared key
        float[] scratch = new float[ropeDims];
        for (ForwardBatch.Segment seg : batch.segments()) {
            MemorySegment latent = seg.kv().latent(layer);    // (rows, kvLora) F32
            MemorySegment keyRope = seg.kv().keyRope(layer);  // (rows, qkRope) F32
            for (int i = 0; i < seg.count(); i++) {
                int t = seg.start() + i;
                int pos = seg.startPos() + i;
                long row = seg.kv().slot(pos);
                float[] cos = rope.cos(pos);
                float[] sin = rope.sin(pos);
                ops.rmsNorm(kv, t * (lora + ropeDims), w.kvANorm(), c.rmsEps(), latentRow, 0, lora);
                // llama.cpp feeds this latent to attn_kv_b, rounding it first; cache it rounded as kv_b's input is
                // (not at all for a Hugging Face checkpoint).
                ActivationRounding.roundInPlace(w.latentRounding(), latentRow, 0, lora);
                MemorySegment.copy(latentRow, 0, latent, ValueLayout.JAVA_FLOAT, row * lora * Float.BYTES, lora);
                System.arraycopy(kv, t * (lora + ropeDims) + lora, ropeRow, 0, ropeDims);
                pairUp(ropeRow, 0, scratch);
                ops.rope(ropeRow, 0, cos, sin);
                MemorySegment.copy(ropeRow, 0, keyRope, ValueLayout.JAVA_FLOAT, row * ropeDims * Float.BYTES, ropeDims);
                for (int h = 0; h < c.numHeads(); h++) {
                    pairUp(q, t * qOut + h * qkHead + nope, scratch);
                    ops.rope(q, t * qOut + h * qkHead + nope, cos, sin);
                }
            }
        }

        float[] heads = new float[n * c.numHeads() * c.vHead()]; // (n, numHeads * vHead)
        // Heads are independent: each reads the caches and writes its own slice of `heads`.
        ops.forEach(c.numHeads(), h -> attendHead(w, layer, h, q, batch, heads));
        float[] out = new float[n * c.hidden()];
        ops.matmul(w.attnOutput(), heads, out, n);
        return out;
    }

    /**
     * Puts rotary values paired as halves (x_i, x_{i+d/2}) next to each other, so the kernel's
     * adjacent-pair rotation turns each pair by its own frequency. q and k_pe are reordered alike,
     * so their dot products are those of the halves layout. Nothing to do for interleaved pairs.
     */
    private void pairUp(float[] x, int off, float[] scratch) {
        if (c.ropePairing() == RopePairing.INTERLEAVED) {
            return;
        }
        int half = ropeDims / 2;
        for (int i = 0; i < half; i++) {
            scratch[2 * i] = x[off + i];
            scratch[2 * i + 1] = x[off + half + i];
        }
        System.arraycopy(scratch, 0, x, off, ropeDims);
    }

    private float[] queries(LayerWeights w, float[] xn, int n) {
        float[] q = new float[n * c.numHeads() * c.qkHead()];
        if (!w.hasQLora()) {
            ops.matmul(w.q(), xn, q, n);
            return q;
        }
        int r = c.qLoraRank();
        float[] qa = new float[n * r]; // (n, qLoraRank)
        ops.matmul(w.qA(), xn, qa, n);
        for (int t = 0; t < n; t++) {
            ops.rmsNorm(qa, t * r, w.qANorm(), c.rmsEps(), qa, t * r, r);
        }
        ops.matmul(w.qB(), qa, q, n);
        return q;
    }

    /** One head for every token of the batch: writes (n, vHead) into its slice of {@code heads}. */
    private void attendHead(LayerWeights w, int layer, int h, float[] q, ForwardBatch batch, float[] heads) {
        int n = batch.numTokens();
        float kqScale = c.kqScale();
        float[] qNope = new float[n * nope];          // (n, qkNope)
        float[] qLatent = new float[n * lora];        // (n, kvLora)
        float[] outLatent = new float[n * lora];      // (n, kvLora)
        float[] outHead = new float[n * c.vHead()];   // (n, vHead)
        for (int t = 0; t < n; t++) {
            System.arraycopy(q, t * qOut + h * qkHead, qNope, t * nope, nope);
        }
        ops.matmul(w.ukT()[h], qNope, qLatent, n);
        List<ForwardBatch.Segment> segments = batch.segments();
        for (ForwardBatch.Segment seg : segments) {
            MemorySegment latent = seg.kv().latent(layer);    // (rows, kvLora) F32
            MemorySegment keyRope = seg.kv().keyRope(layer);  // (rows, qkRope) F32
            float[] scores = new float[seg.startPos() + seg.count()];
            long[] rows = new long[scores.length];
            for (int s = 0; s < rows.length; s++) {
                rows[s] = seg.kv().slot(s);
            }
            for (int i = 0; i < seg.count(); i++) {
                int t = seg.start() + i;
                int numKeys = seg.startPos() + i + 1; // causal: a token sees itself and everything before
                int qPe = t * qOut + h * qkHead + nope;
                for (int s = 0; s < numKeys; s++) {
                    float score = ops.dot(qLatent, t * lora, latent, rows[s] * lora, lora)
                            + ops.dot(q, qPe, keyRope, rows[s] * ropeDims, ropeDims);
                    scores[s] = score * kqScale;
                }
                ops.softmax(scores, 0, numKeys);
                for (int s = 0; s < numKeys; s++) {
                    ops.axpy(scores[s], latent, rows[s] * lora, outLatent, t * lora, lora);
                }
            }
        }
        ops.matmul(w.uv()[h], outLatent, outHead, n);
        for (int t = 0; t < n; t++) {
            System.arraycopy(outHead, t * c.vHead(), heads, (t * c.numHeads() + h) * c.vHead(), c.vHead());
        }
    }
}
