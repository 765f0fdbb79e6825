package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Weight-streaming speed of {@link VectorOps#matmul} for a 4096x1024 matvec (or another shape) per weight
 * type, with 1 and 2 threads, in GB/s of weight bytes (F8_E4M3: with its block scales) and in GMAC/s,
 * each the median / best of 5 rounds. "hot" repeats one matrix (it may sit in L3); "cold" cycles through
 * enough copies to exceed any cache, which is what decode sees. The "read" line is a plain vector sum
 * over the same bytes: the ceiling a matvec can reach.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes \
 *     io.moeoperator.engine.kernel.MatmulBench [numTokens] [maxThreads] [types, e.g. F32,Q4_0] [rowsxcols]
 * </pre>
 *
 * <p>Measured on 2 Zen 4 cores (AMD EPYC, AVX-512, 2.6 GHz, shared VM; numbers vary by ~20% run to
 * run, so these are the best of two runs), cold GB/s with 1 / 2 threads, 1 token: F32 21 / 40,
 * F16 20 / 33, BF16 22 / 38, Q8_0 12.4 / 23.5, Q4_0 6.7 / 12.4; plain read ceiling 24 (1 thread).
 * 16 tokens, GMAC/s: F32 25 / 47, F16 25 / 51, BF16 25 / 52, Q8_0 27 / 50, Q4_0 28 / 53.
 *
 * <p>F8_E4M3 against BF16 and F32 on a DeepSeek-V2-Lite expert's shape: {@link MatmulCompareBench}, which
 * times the types round-robin (fairer on a loaded machine than one type after another, as here).
 *
 * <p>What batch invariance (one summation order per row and token on both paths, see VectorMatmul)
 * cost, against the kernels before it in the same runs: float types within the noise for 1 token and
 * 0-7% for 16; Q8_0 13% (1 thread) / 6% (2) for 1 token, 10% / 15% for 16; Q4_0 25% / 11% for 1
 * token, 16% / 19% for 16 (base 1 token: Q8_0 14.2 / 25.0, Q4_0 9.0 / 14.0 GB/s; 16 tokens:
 * Q8_0 30 / 58, Q4_0 34 / 65 GMAC/s).
 */
public final class MatmulBench {
    private static final int ROWS = 4096;
    private static final int COLS = 1024;
    private static final long COLD_BYTES = 512L << 20;
    private static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.F8_E4M3};

    public static void main(String[] args) {
        int numTokens = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int maxThreads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        GgmlType[] types = args.length > 2
                ? Arrays.stream(args[2].split(",")).map(GgmlType::valueOf).toArray(GgmlType[]::new)
                : TYPES;
        int rows = args.length > 3 ? Integer.parseInt(args[3].split("x")[0]) : ROWS;
        int cols = args.length > 3 ? Integer.parseInt(args[3].split("x")[1]) : COLS;
        System.out.printf("%dx%d, %d token(s), %s%n", rows, cols, numTokens, FloatVector.SPECIES_PREFERRED);
        Random rnd = new Random(1);
        float[] x = new float[numTokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] out = new float[numTokens * rows];
        for (GgmlType type : types) {
            try (Arena arena = Arena.ofShared()) {
                WeightMatrix[] copies = copies(arena, type, rows, cols, rnd);
                long bytes = bytes(copies[0]);
                System.out.printf("%-7s %,d bytes (%.2f per weight)%n", type, bytes, (double) bytes / rows / cols);
                for (int threads = 1; threads <= maxThreads; threads++) {
                    try (VectorOps ops = new VectorOps(threads)) {
                        double[] hot = callsPerNano(ops, new WeightMatrix[] {copies[0]}, x, out, numTokens);
                        double[] cold = callsPerNano(ops, copies, x, out, numTokens);
                        double macs = (double) rows * cols * numTokens;
                        System.out.printf("%-7s %d thread(s): hot %5.1f / %5.1f GB/s  cold %5.1f / %5.1f GB/s  GMAC/s hot %5.1f / %5.1f  cold %5.1f / %5.1f%n",
                                type, threads, hot[0] * bytes, hot[1] * bytes, cold[0] * bytes, cold[1] * bytes,
                                hot[0] * macs, hot[1] * macs, cold[0] * macs, cold[1] * macs);
                    }
                }
                if (type == GgmlType.F32) {
                    System.out.printf("read    1 thread(s): cold %6.1f GB/s (vector sum of F32 bytes)%n", readGbPerSecond(copies));
                }
            }
        }
    }

    /** The bytes a matmul reads from the weights: the elements and, for F8_E4M3, the block scales. */
    private static long bytes(WeightMatrix w) {
        return w.data().byteSize() + (w.scales() == null ? 0 : w.scales().data().byteSize());
    }

    private static WeightMatrix[] copies(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.05f;
        }
        WeightMatrix first;
        if (type == GgmlType.F8_E4M3) {
            first = Fp8Weights.quantize(arena, "bench.F8_E4M3", w, rows, cols, 128, 128); // DeepSeek-V3's blocks
        } else {
            MemorySegment data = arena.allocate(type.bytesFor(w.length), 64);
            GgmlCodec.encode(type, w, 0, w.length, data, 0);
            first = new WeightMatrix("bench." + type, type, rows, cols, data);
        }
        // Copies all 64-byte aligned, like the other types' (Fp8Weights misaligns on purpose).
        WeightMatrix[] copies = new WeightMatrix[(int) Math.max(2, COLD_BYTES / bytes(first))];
        for (int c = 0; c < copies.length; c++) {
            MemorySegment data = arena.allocate(first.data().byteSize(), 64).copyFrom(first.data());
            BlockScales scales = first.scales() == null ? null : new BlockScales(first.scales().blockRows(), first.scales().blockCols(),
                    arena.allocate(first.scales().data().byteSize(), 64).copyFrom(first.scales().data()));
            copies[c] = new WeightMatrix("bench." + type + "." + c, type, rows, cols, data, scales);
        }
        return copies;
    }

    /**
     * Matmul calls per nanosecond, the median and the best of 5 timed rounds of about 0.3 s each, after a
     * warm-up that also triggers C2. On a shared machine the best round is the steadier figure.
     */
    private static double[] callsPerNano(VectorOps ops, WeightMatrix[] ws, float[] x, float[] out, int numTokens) {
        run(ops, ws, x, out, numTokens, 1_000_000_000L);
        double[] rounds = new double[5];
        for (int r = 0; r < rounds.length; r++) {
            long t0 = System.nanoTime();
            long calls = run(ops, ws, x, out, numTokens, 300_000_000L);
            rounds[r] = (double) calls / (System.nanoTime() - t0);
        }
        Arrays.sort(rounds);
        return new double[] {rounds[rounds.length / 2], rounds[rounds.length - 1]};
    }

    private static long run(VectorOps ops, WeightMatrix[] ws, float[] x, float[] out, int numTokens, long nanos) {
        long end = System.nanoTime() + nanos;
        long calls = 0;
        do {
            for (int i = 0; i < 8; i++, calls++) {
                ops.matmul(ws[(int) (calls % ws.length)], x, out, numTokens);
            }
        } while (System.nanoTime() < end);
        return calls;
    }

    private static double readGbPerSecond(WeightMatrix[] ws) {
        double best = 0;
        float sink = 0;
        for (int r = 0; r < 6; r++) {
            long t0 = System.nanoTime();
            long bytes = 0;
            for (WeightMatrix w : ws) {
                sink += sum(w.data());
                bytes += w.data().byteSize();
            }
            best = Math.max(best, (double) bytes / (System.nanoTime() - t0));
        }
        if (sink == 42f) {
            System.out.println(); // keeps the sums alive
        }
        return best;
    }

    private static float sum(MemorySegment s) {
        var f = FloatVector.SPECIES_PREFERRED;
        FloatVector a0 = FloatVector.zero(f);
        FloatVector a1 = FloatVector.zero(f);
        long step = f.vectorByteSize();
        for (long at = 0; at + 2 * step <= s.byteSize(); at += 2 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(f, s, at, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(f, s, at + step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }
}
