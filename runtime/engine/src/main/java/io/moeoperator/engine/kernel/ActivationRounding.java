package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * How a weight matrix's activations are rounded before its dot products: a numerics policy its
 * {@link io.moeoperator.engine.model.WeightSource} chooses, so that each format computes as the
 * program it is checked against.
 *
 * <p>{@link #GGML}: as ggml rounds them for the weights' type (its {@code vec_dot_type}): none for
 * F32, F16 for F16, BF16 for BF16, Q8_0 blocks for Q8_0 and Q4_0 (quantized as
 * {@link GgmlCodec#encodeQ8_0Activations} does). Reproducing it is what lets the engine match
 * llama.cpp beyond F32 weights, so GGUF files use it.
 *
 * <p>{@link #NONE}: the activations are multiplied as they are, in F32, by the weights' exact values.
 * Hugging Face checkpoints use it: transformers keeps no llama.cpp rounding to match, and rounding
 * activations to 8 mantissa bits before each BF16 matmul costs accuracy (the BF16 oracle model's
 * teacher-forced top-1 agreement fell from 100 % to 96 %). F8_E4M3 weights (no ggml type) always
 * multiply the activations as they are: DeepSeek's own FP8 GEMM quantizes activations to FP8 per 128
 * values first, which buys tensor-core speed at a cost in accuracy a CPU gains nothing from.
 */
public enum ActivationRounding {
    GGML,
    NONE;

    /** The type activations are rounded to before multiplying weights of {@code weightType}. */
    public GgmlType roundingFor(GgmlType weightType) {
        return this == NONE || weightType == GgmlType.F8_E4M3 ? GgmlType.F32 : weightType;
    }

    /** Rounds {@code x[off..off+n)} in place as ggml would before multiplying weights of {@code type}. */
    public static void roundInPlace(GgmlType type, float[] x, int off, int n) {
        switch (type) {
            case F32, F8_E4M3 -> { }
            case F16 -> {
                for (int i = off; i < off + n; i++) {
                    x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
                }
            }
            case BF16 -> {
                for (int i = off; i < off + n; i++) {
                    x[i] = Float.intBitsToFloat(GgmlCodec.toBf16(x[i]) << 16);
                }
            }
            case Q8_0, Q4_0 -> {
                MemorySegment block = MemorySegment.ofArray(new byte[GgmlType.Q8_0.blockBytes()]);
                for (int b = off; b < off + n; b += 32) {
                    GgmlCodec.encodeQ8_0Activations(x, b, 32, block, 0);
                    GgmlCodec.decode(GgmlType.Q8_0, block, 0, x, b, 32);
                }
            }
        }
    }
}
