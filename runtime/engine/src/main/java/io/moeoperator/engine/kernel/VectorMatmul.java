package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * {@link TensorOps#matmul} for {@link VectorOps}: rows split between the pool's threads, each weight row
 * read from memory once per call.
 *
 * <p>Two paths. One token (decode): each row's dot is computed straight from the stored bytes
 * ({@link FloatRowDots}, {@link QuantRowDots}); Q8_0/Q4_0 use ggml's integer block dot. Several tokens
 * (prefill): each row is decoded to F32 once ({@link RowDecode}) and multiplied with every token of a
 * tile before the next row is read (rows outer, tokens inner, in 4x4 register tiles of
 * {@link TokenDots}), so unpacking is paid per row, not per row and token; Q8_0/Q4_0 then multiply the
 * dequantized weights with the dequantized Q8_0 activations in F32, which rounds like the reference.
 * Both paths quantize activations exactly as ggml does. For F32, F16 and BF16 both paths form each
 * (row, token) sum in one order ({@link TokenDots}), so a token's result does not depend on the batch.
 */
final class VectorMatmul {
    /**
     * Activation bytes per token tile: small enough to stay in L2 next to the weight rows while every
     * row of the matrix passes over it.
     */
    private static final int ACT_TILE_BYTES = 128 * 1024;
    /** Below this many multiply-adds a matmul runs on the caller: waking workers would cost more. */
    private static final long MIN_PARALLEL_MACS = 64 * 1024;

    private VectorMatmul() {}

    static void matmul(Parallel parallel, WeightMatrix w, float[] x, float[] out, int numTokens) {
        int rows = w.rows();
        int cols = w.cols();
        if (numTokens < 0 || x.length < (long) numTokens * cols || out.length < (long) numTokens * rows) {
            throw new IllegalArgumentException("matmul " + w.name() + " (" + rows + "x" + cols + ") with " + numTokens
                    + " tokens needs x of " + (long) numTokens * cols + " and out of " + (long) numTokens * rows
                    + " floats, got " + x.length + " and " + out.length);
        }
        if (numTokens == 0) {
            return;
        } else if (numTokens == 1) {
            run(parallel, rows, (long) rows * cols, matvec(w, x, out));
        } else {
            float[] xs = roundedActivations(w, x, numTokens * cols);
            RowDecoder decoder = decoder(w);
            int tileTokens = Math.max(TokenDots.TOKENS, ACT_TILE_BYTES / (4 * cols));
            for (int t0 = 0; t0 < numTokens; t0 += tileTokens) {
                int t1 = Math.min(numTokens, t0 + tileTokens);
                // Split by groups of register-tile rows, so that no chunk boundary breaks a tile.
                int numGroups = (rows + TokenDots.ROWS - 1) / TokenDots.ROWS;
                run(parallel, numGroups, (long) rows * cols * (t1 - t0), tokenTile(w, decoder, xs, out, t0, t1));
            }
        }
    }

    private static void run(Parallel parallel, int n, long macs, Parallel.RangeTask task) {
        if (macs < MIN_PARALLEL_MACS) {
            task.run(0, n);
        } else {
            parallel.forRange(n, task);
        }
    }

    /**
     * One lambda per weight type, each calling its own kernel: with one loop switching on the type,
     * the types shared a JIT profile, and once several had run, two-thread Q8_0 stopped scaling.
     */
    private static Parallel.RangeTask matvec(WeightMatrix w, float[] x, float[] out) {
        MemorySegment data = w.data();
        int cols = w.cols();
        int numBlocks = cols / Q8Activations.BLOCK;
        long rowBytes = w.rowBytes();
        return switch (w.type()) {
            case F32 -> (r0, r1) -> {
                for (int o = r0; o < r1; o++) {
                    out[o] = FloatRowDots.f32(data, o * rowBytes, x, cols);
                }
            };
            case BF16 -> {
                float[] xb = rounded(GgmlType.BF16, x, cols);
                yield (r0, r1) -> {
                    for (int o = r0; o < r1; o++) {
                        out[o] = FloatRowDots.bf16(data, o * rowBytes, xb, cols);
                    }
                };
            }
            case F16 -> {
                float[] xh = rounded(GgmlType.F16, x, cols);
                yield (r0, r1) -> {
                    for (int o = r0; o < r1; o++) {
                        out[o] = FloatRowDots.f16(data, o * rowBytes, xh, cols);
                    }
                };
            }
            case Q8_0 -> {
                Q8Activations xq = Q8Activations.quantize(x, cols);
                yield (r0, r1) -> {
                    for (int o = r0; o < r1; o++) {
                        out[o] = QuantRowDots.q8_0(data, o * rowBytes, numBlocks, xq, 0);
                    }
                };
            }
            case Q4_0 -> {
                Q8Activations xq = Q8Activations.quantize(x, cols);
                yield (r0, r1) -> {
                    for (int o = r0; o < r1; o++) {
                        out[o] = QuantRowDots.q4_0(data, o * rowBytes, numBlocks, xq, 0);
                    }
                };
            }
        };
    }

    /**
     * Row groups of the matmul for tokens {@code [t0, t1)}: decode a group's rows, then run every token
     * past them.
     */
    private static Parallel.RangeTask tokenTile(WeightMatrix w, RowDecoder decoder, float[] xs, float[] out, int t0, int t1) {
        MemorySegment data = w.data();
        int rows = w.rows();
        int cols = w.cols();
        long rowBytes = w.rowBytes();
        return (g0, g1) -> {
            float[] block = new float[TokenDots.ROWS * cols]; // (ROWS, cols) decoded rows
            int end = Math.min(rows, g1 * TokenDots.ROWS);
            for (int o = g0 * TokenDots.ROWS; o < end; o += TokenDots.ROWS) {
                int numRows = Math.min(TokenDots.ROWS, end - o);
                for (int r = 0; r < numRows; r++) {
                    decoder.decode(data, (o + r) * rowBytes, cols, block, r * cols);
                }
                TokenDots.dot(block, numRows, cols, xs, t0, t1, out, rows, o);
            }
        };
    }

    @FunctionalInterface
    private interface RowDecoder {
        void decode(MemorySegment w, long at, int n, float[] dst, int dstOff);
    }

    private static RowDecoder decoder(WeightMatrix w) {
        return switch (w.type()) {
            case F32 -> RowDecode::f32;
            case F16 -> RowDecode::f16;
            case BF16 -> RowDecode::bf16;
            case Q8_0 -> RowDecode::q8_0;
            case Q4_0 -> RowDecode::q4_0;
        };
    }

    /** The activations as ggml rounds them for this weight type, as floats. */
    private static float[] roundedActivations(WeightMatrix w, float[] x, int n) {
        return switch (w.type()) {
            case F32 -> x;
            case F16, BF16 -> rounded(w.type(), x, n);
            case Q8_0, Q4_0 -> Q8Activations.quantize(x, n).dequantize();
        };
    }

    /** A copy of the activations rounded as ggml rounds them for this weight type (F16 or BF16). */
    private static float[] rounded(GgmlType type, float[] x, int n) {
        float[] r = Arrays.copyOf(x, n);
        ActivationRounding.roundInPlace(type, r, 0, n);
        return r;
    }
}
