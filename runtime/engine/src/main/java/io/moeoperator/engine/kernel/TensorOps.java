package io.moeoperator.engine.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The numeric kernels the forward pass is built from. Implementations: {@link ScalarOps} (the slow,
 * obviously-correct oracle) and {@link VectorOps} (Panama Vector API, all cores); a GPU backend can
 * implement the same contract. Activations are row-major float arrays; weights are
 * {@link WeightMatrix} views of the model file.
 *
 * <p>Matmul semantics follow ggml for weights whose {@link WeightMatrix#activations()} are
 * {@link ActivationRounding#GGML} (GGUF files), so the engine reproduces llama.cpp's rounding: F32
 * weights multiply the activations as they are; F16 and BF16 weights multiply activations first
 * rounded to F16 or BF16; Q8_0 and Q4_0 weights multiply activations first quantized to Q8_0 blocks
 * (per 32 values {@code d = amax/127}, {@code q = round(x/d)}, d stored as F16). With
 * {@link ActivationRounding#NONE} (Hugging Face checkpoints) F16 and BF16 weights multiply the
 * activations as they are. F8_E4M3 weights (which ggml lacks) are each their FP8 value times their
 * block's scale ({@link BlockScales}) and multiply the activations as they are. Accumulation is in F32
 * or wider.
 *
 * <p>The latent KV cache lives in native memory: the ops that read it take a {@link MemorySegment} of
 * F32 values in native byte order, with offsets counted in floats as for arrays. On the same values
 * they must give exactly what their array forms give, so moving the cache off the heap changes no
 * result.
 */
public interface TensorOps {

    /**
     * {@code out[t*w.rows + o] = sum_i W[o, i] * x[t*w.cols + i]} for {@code t < numTokens}.
     * (W: (rows, cols); x: (numTokens, cols); out: (numTokens, rows)).
     */
    void matmul(WeightMatrix w, float[] x, float[] out, int numTokens);

    /** {@code out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i]} over one row of {@code n}. */
    void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n);

    /** In-place softmax of {@code x[off..off+n)} (max-subtracted, F32 result). */
    void softmax(float[] x, int off, int n);

    /** {@code gate[i] = silu(gate[i]) * up[i]} for {@code i < n}, silu(v) = v / (1 + e^-v). */
    void swiglu(float[] gate, float[] up, int n);

    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /**
     * As {@link #dot(float[], int, float[], int, int)} with {@code b} the F32 values of a native segment
     * (a cached latent or rotary key): bit-identical to the array form on the same values.
     */
    float dot(float[] a, int aOff, MemorySegment b, long bOff, int n);

    /** {@code y[yOff + i] += alpha * x[xOff + i]}. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * As {@link #axpy(float, float[], int, float[], int, int)} with {@code x} the F32 values of a native
     * segment: bit-identical to the array form on the same values.
     */
    void axpy(float alpha, MemorySegment x, long xOff, float[] y, int yOff, int n);

    /**
     * Rotates {@code x[off..off+2*cos.length)} in adjacent pairs (ggml "normal" RoPE):
     * {@code (x0, x1) -> (x0 cos - x1 sin, x0 sin + x1 cos)} with the pair's cos/sin.
     */
    void rope(float[] x, int off, float[] cos, float[] sin);

    /**
     * Indices of the {@code k} largest of {@code scores[off..off+n)} in descending order of score
     * (equal scores: lower index first), written to {@code idxOut[idxOff..]}.
     */
    void topK(float[] scores, int off, int n, int k, int[] idxOut, int idxOff);

    /**
     * Runs {@code body(i)} for every {@code i < n}, possibly concurrently: the items must be
     * independent. Ops called from inside run on the calling thread. The reference runs them in order.
     */
    default void forEach(int n, java.util.function.IntConsumer body) {
        for (int i = 0; i < n; i++) {
            body.accept(i);
        }
    }
}
