package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * {@link TensorOps#matmul} for {@link VectorOps}: rows split between the pool's threads, each weight row
 * read from memory once per call.
 *
 * <p>Batch-invariant: the result for a (weight row, activation row) pair is bit-identical whatever the
 * number of tokens, the token's place in the batch and the thread count, so a sequence's logits do not
 * depend on what else is batched with it. Each pair's sum is formed in one fixed order, which both
 * paths below follow (F32/F16/BF16: {@link TokenDots}; Q8_0/Q4_0: {@link QuantRowDots}; F8_E4M3:
 * {@link Fp8RowDots}), the activations are rounded per token, and nothing sums across pairs or threads.
 *
 * <p>Two paths. One token (decode): each row's dot is computed straight from the stored bytes
 * ({@link FloatRowDots}; {@link QuantRowDots}, ggml's integer block dot; {@link Fp8RowDots}). Several
 * tokens (prefill): each row is decoded once ({@link RowDecode}: F32 values, or for Q8_0/Q4_0 the quants
 * as floats, for F8_E4M3 the unscaled values) and multiplied with every token of a tile before the next
 * row is read (rows outer, tokens inner, in register tiles of {@link TokenDots}, {@link QuantTokenDots}
 * and {@link Fp8TokenDots}), so unpacking is paid per row, not per row and token. Both paths round
 * activations exactly as ggml does (F8_E4M3, which ggml lacks: not at all).
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
        long macs = (long) rows * cols;
        if (numTokens == 0) {
            return;
        }
        switch (w.type()) {
            case F32, F16, BF16 -> {
                if (numTokens == 1) {
                    run(parallel, rows, macs, floatMatvec(w, x, out));
                } else {
                    floatTiles(parallel, w, x, out, numTokens);
                }
            }
            case Q8_0, Q4_0 -> {
                if (numTokens == 1) {
                    run(parallel, rows, macs, quantMatvec(w, x, out));
                } else {
                    quantTiles(parallel, w, x, out, numTokens);
                }
            }
            case F8_E4M3 -> {
                if (numTokens == 1) {
                    run(parallel, rows, macs, fp8Matvec(w, x, out));
                } else {
                    fp8Tiles(parallel, w, x, out, numTokens);
                }
            }
        }
    }

    /** An F32/F16/BF16 matmul of several tokens, in token tiles of {@link #ACT_TILE_BYTES}. */
    private static void floatTiles(Parallel parallel, WeightMatrix w, float[] x, float[] out, int numTokens) {
        int rows = w.rows();
        int cols = w.cols();
        float[] xs = rounded(w.activationType(), x, numTokens * cols);
        FloatDecoder decoder = floatDecoder(w);
        int tileTokens = Math.max(TokenDots.TOKENS, ACT_TILE_BYTES / (4 * cols));
        for (int t0 = 0; t0 < numTokens; t0 += tileTokens) {
            int t1 = Math.min(numTokens, t0 + tileTokens);
            // Split by groups of register-tile rows, so that no chunk boundary breaks a tile.
            int numGroups = (rows + TokenDots.ROWS - 1) / TokenDots.ROWS;
            run(parallel, numGroups, (long) rows * cols * (t1 - t0), floatTile(w, decoder, xs, out, t0, t1));
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
     * Rows of a one-token F32/F16/BF16 matmul. One lambda per weight type, each calling its own kernel:
     * with one loop switching on the type, the types shared a JIT profile, and once several had run,
     * two-thread Q8_0 stopped scaling.
     */
    private static Parallel.RangeTask floatMatvec(WeightMatrix w, float[] x, float[] out) {
        MemorySegment data = w.data();
        int cols = w.cols();
        long rowBytes = w.rowBytes();
        return switch (w.type()) {
            case F32 -> (r0, r1) -> {
                for (int o = r0; o < r1; o++) {
                    out[o] = FloatRowDots.f32(data, o * rowBytes, x, cols);
                }
            };
            case F16 -> {
                float[] xh = rounded(w.activationType(), x, cols);
                yield (r0, r1) -> {
                    for (int o = r0; o < r1; o++) {
                        out[o] = FloatRowDots.f16(data, o * rowBytes, xh, cols);
                    }
                };
            }
            case BF16 -> {
                float[] xb = rounded(w.activationType(), x, cols);
                yield (r0, r1) -> {
                    for (int o = r0; o < r1; o++) {
                        out[o] = FloatRowDots.bf16(data, o * rowBytes, xb, cols);
                    }
                };
            }
            case Q8_0, Q4_0, F8_E4M3 -> throw new IllegalArgumentException("not a float type: " + w.type());
        };
    }

    /** Rows of a one-token Q8_0/Q4_0 matmul; one lambda per type, as {@link #floatMatvec}. */
    private static Parallel.RangeTask quantMatvec(WeightMatrix w, float[] x, float[] out) {
        MemorySegment data = w.data();
        int numBlocks = w.cols() / Q8Activations.BLOCK;
        long rowBytes = w.rowBytes();
        Q8Activations xq = Q8Activations.quantize(x, w.cols());
        return switch (w.type()) {
            case Q8_0 -> (r0, r1) -> {
                QuantRowDots.Scratch scratch = new QuantRowDots.Scratch(numBlocks);
                for (int o = r0; o < r1; o++) {
                    out[o] = QuantRowDots.q8_0(data, o * rowBytes, numBlocks, xq, 0, scratch);
                }
            };
            case Q4_0 -> (r0, r1) -> {
                QuantRowDots.Scratch scratch = new QuantRowDots.Scratch(numBlocks);
                for (int o = r0; o < r1; o++) {
                    out[o] = QuantRowDots.q4_0(data, o * rowBytes, numBlocks, xq, 0, scratch);
                }
            };
            case F32, F16, BF16, F8_E4M3 -> throw new IllegalArgumentException("not a quantized type: " + w.type());
        };
    }

    /**
     * Row groups of an F32/F16/BF16 matmul for tokens {@code [t0, t1)}: decode a group's rows, then run
     * every token past them.
     */
    private static Parallel.RangeTask floatTile(WeightMatrix w, FloatDecoder decoder, float[] xs, float[] out, int t0, int t1) {
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

    /** A Q8_0/Q4_0 matmul of several tokens, in token tiles as the float one. */
    private static void quantTiles(Parallel parallel, WeightMatrix w, float[] x, float[] out, int numTokens) {
        int rows = w.rows();
        int cols = w.cols();
        int numBlocks = cols / Q8Activations.BLOCK;
        Q8Activations.TokenRows xs = Q8Activations.quantize(x, numTokens * cols).tokenRows(cols);
        QuantDecoder decoder = switch (w.type()) {
            case Q8_0 -> RowDecode::q8_0Quants;
            case Q4_0 -> RowDecode::q4_0Quants;
            case F32, F16, BF16, F8_E4M3 -> throw new IllegalArgumentException("not a quantized type: " + w.type());
        };
        int tileTokens = Math.max(QuantTokenDots.TOKENS, ACT_TILE_BYTES / (4 * QuantTokenDots.quantFloats(numBlocks)));
        for (int t0 = 0; t0 < numTokens; t0 += tileTokens) {
            int t1 = Math.min(numTokens, t0 + tileTokens);
            int numGroups = (rows + QuantTokenDots.ROWS - 1) / QuantTokenDots.ROWS;
            run(parallel, numGroups, (long) rows * cols * (t1 - t0), quantTile(w, decoder, xs, out, t0, t1));
        }
    }

    private static Parallel.RangeTask quantTile(WeightMatrix w, QuantDecoder decoder, Q8Activations.TokenRows xs,
            float[] out, int t0, int t1) {
        MemorySegment data = w.data();
        int rows = w.rows();
        int numBlocks = w.cols() / Q8Activations.BLOCK;
        int numGroups = QuantTokenDots.numGroups(numBlocks);
        int qn = QuantTokenDots.quantFloats(numBlocks);
        int dn = QuantTokenDots.scaleFloats(numBlocks);
        long rowBytes = w.rowBytes();
        return (g0, g1) -> {
            // (ROWS, qn) quants and (ROWS, dn) scales; the padding past the last block stays zero.
            float[] q = new float[QuantTokenDots.ROWS * qn];
            float[] d = new float[QuantTokenDots.ROWS * dn];
            int end = Math.min(rows, g1 * QuantTokenDots.ROWS);
            for (int o = g0 * QuantTokenDots.ROWS; o < end; o += QuantTokenDots.ROWS) {
                int numRows = Math.min(QuantTokenDots.ROWS, end - o);
                for (int r = 0; r < numRows; r++) {
                    decoder.decode(data, (o + r) * rowBytes, numBlocks, q, r * qn, d, r * dn);
                }
                QuantTokenDots.dot(q, d, numRows, numGroups, xs.q(), xs.d(), t0, t1, out, rows, o);
            }
        };
    }

    /** Rows of a one-token F8_E4M3 matmul: each row's dot straight from its bytes and block scales. */
    private static Parallel.RangeTask fp8Matvec(WeightMatrix w, float[] x, float[] out) {
        MemorySegment data = w.data();
        MemorySegment scales = w.scales().data();
        int cols = w.cols();
        int blockRows = w.scales().blockRows();
        int blockCols = w.scales().blockCols();
        int scalesPerRow = Fp8TokenDots.numBlocks(cols, blockCols);
        float[] xp = new float[cols]; // x in the kernel's layout
        Fp8RowDots.permute(x, 0, cols, blockCols, xp, 0);
        return (r0, r1) -> {
            float[] lanes = new float[Fp8RowDots.L];
            for (int o = r0; o < r1; o++) {
                out[o] = Fp8RowDots.dot(data, (long) o * cols, cols, scales, (long) (o / blockRows) * scalesPerRow, blockCols, xp,
                        lanes);
            }
        };
    }

    /**
     * An F8_E4M3 matmul of several tokens, in token tiles as the float one. The activations are not
     * rounded (see {@link ActivationRounding}), only permuted into the kernel's layout.
     */
    private static void fp8Tiles(Parallel parallel, WeightMatrix w, float[] x, float[] out, int numTokens) {
        int rows = w.rows();
        int cols = w.cols();
        float[] xp = new float[numTokens * cols]; // (numTokens, cols) in the kernel's layout
        for (int t = 0; t < numTokens; t++) {
            Fp8RowDots.permute(x, t * cols, cols, w.scales().blockCols(), xp, t * cols);
        }
        int tileTokens = Math.max(Fp8TokenDots.TOKENS, ACT_TILE_BYTES / (4 * cols));
        for (int t0 = 0; t0 < numTokens; t0 += tileTokens) {
            int t1 = Math.min(numTokens, t0 + tileTokens);
            int numGroups = (rows + Fp8TokenDots.ROWS - 1) / Fp8TokenDots.ROWS;
            run(parallel, numGroups, (long) rows * cols * (t1 - t0), fp8Tile(w, xp, out, t0, t1));
        }
    }

    /**
     * Row groups of an F8_E4M3 matmul for tokens {@code [t0, t1)}: decode a group's rows (unscaled) and
     * gather their block scales, run every token past them, then make the results of rows holding a NaN
     * code NaN, as the one-token path does.
     */
    private static Parallel.RangeTask fp8Tile(WeightMatrix w, float[] xp, float[] out, int t0, int t1) {
        MemorySegment data = w.data();
        MemorySegment scales = w.scales().data();
        int rows = w.rows();
        int cols = w.cols();
        int blockRows = w.scales().blockRows();
        int blockCols = w.scales().blockCols();
        int scalesPerRow = Fp8TokenDots.numBlocks(cols, blockCols);
        return (g0, g1) -> {
            float[] block = new float[Fp8TokenDots.ROWS * cols]; // (ROWS, cols) decoded rows, in the kernel's layout
            float[] s = new float[Fp8TokenDots.ROWS * scalesPerRow]; // (ROWS, scalesPerRow) their block scales
            boolean[] nan = new boolean[Fp8TokenDots.ROWS];
            int end = Math.min(rows, g1 * Fp8TokenDots.ROWS);
            for (int o = g0 * Fp8TokenDots.ROWS; o < end; o += Fp8TokenDots.ROWS) {
                int numRows = Math.min(Fp8TokenDots.ROWS, end - o);
                for (int r = 0; r < numRows; r++) {
                    nan[r] = RowDecode.f8e4m3(data, (long) (o + r) * cols, cols, blockCols, block, r * cols);
                    long scaleAt = (long) ((o + r) / blockRows) * scalesPerRow * Float.BYTES;
                    MemorySegment.copy(scales, Fp8RowDots.SCALE, scaleAt, s, r * scalesPerRow, scalesPerRow);
                }
                Fp8TokenDots.dot(block, s, numRows, cols, blockCols, xp, t0, t1, out, rows, o);
                for (int r = 0; r < numRows; r++) {
                    for (int t = t0; nan[r] && t < t1; t++) {
                        out[t * rows + o + r] = Float.NaN;
                    }
                }
            }
        };
    }

    @FunctionalInterface
    private interface FloatDecoder {
        void decode(MemorySegment w, long at, int n, float[] dst, int dstOff);
    }

    @FunctionalInterface
    private interface QuantDecoder {
        void decode(MemorySegment w, long at, int numBlocks, float[] q, int qOff, float[] d, int dOff);
    }

    private static FloatDecoder floatDecoder(WeightMatrix w) {
        return switch (w.type()) {
            case F32 -> RowDecode::f32;
            case F16 -> RowDecode::f16;
            case BF16 -> RowDecode::bf16;
            case Q8_0, Q4_0, F8_E4M3 -> throw new IllegalArgumentException("not a float type: " + w.type());
        };
    }

    /** The activations rounded to {@code type} (a copy), or {@code x} itself for F32. */
    private static float[] rounded(GgmlType type, float[] x, int n) {
        if (type == GgmlType.F32) {
            return x;
        }
        float[] r = Arrays.copyOf(x, n);
        ActivationRounding.roundInPlace(type, r, 0, n);
        return r;
    }
}
