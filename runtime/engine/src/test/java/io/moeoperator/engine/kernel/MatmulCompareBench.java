package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;

/**
 * {@link VectorOps#matmul} of a few weight types compared round-robin: every round times each type in
 * turn, so that on a shared, noisy machine they meet the same load (run one after another, as
 * {@link MatmulBench} does, one type can get a quiet minute and the next a busy one). Reports the best and
 * the median round per type, hot (one matrix, in cache) and cold (cycling through 256 MB of copies).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes \
 *     io.moeoperator.engine.kernel.MatmulCompareBench [numTokens] [threads] [types] [rowsxcols] [rounds]
 * </pre>
 * Defaults: 1 token, 1 thread, F32,BF16,F8_E4M3, 2048x1408 (a DeepSeek-V2-Lite expert's down projection;
 * F8_E4M3 in DeepSeek-V3's 128 x 128 blocks), 30 rounds.
 *
 * <p>Measured 2026-12-03 on 2 Zen 4 cores (AMD EPYC, AVX-512, 16 float lanes), shared with other
 * engineers' builds (load 5-7, so a second thread bought nothing and the medians say little): best GMAC/s
 * hot / cold of 30 rounds, 1 thread, three runs each, 2048x1408 (F8_E4M3 2,884,288 bytes with its scales,
 * BF16 5,767,168, F32 11,534,336).
 * <pre>
 *            1 token                               16 tokens
 * F8_E4M3    18.0/16.4  10.1/10.6  16.9/13.5       21.5/23.6  31.8/29.3  37.7/30.6
 * BF16       15.0/ 5.6  13.3/ 5.5  17.7/ 7.0       36.7/25.6  51.5/33.7  59.0/35.6
 * F32        17.5/ 7.4  11.3/ 5.1  15.4/ 7.9       30.9/23.7  41.2/30.6  44.4/33.8
 * </pre>
 * One token (decode): F8_E4M3 keeps up with BF16 in cache and is about twice as fast from memory, where it
 * reads half the bytes. 16 tokens (compute-bound): 0.6-0.9 of BF16, its tiles doing an eighth more FMAs
 * (each block sum times its scale) with their accumulators in L1.
 */
public final class MatmulCompareBench {
    private static final long COLD_BYTES = 256L << 20;

    public static void main(String[] args) {
        int numTokens = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        GgmlType[] types = Arrays.stream((args.length > 2 ? args[2] : "F32,BF16,F8_E4M3").split(","))
                .map(GgmlType::valueOf).toArray(GgmlType[]::new);
        int rows = args.length > 3 ? Integer.parseInt(args[3].split("x")[0]) : 2048;
        int cols = args.length > 3 ? Integer.parseInt(args[3].split("x")[1]) : 1408;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 30;
        System.out.printf("%dx%d, %d token(s), %d thread(s), %d rounds, %s%n", rows, cols, numTokens, threads, rounds,
                FloatVector.SPECIES_PREFERRED);
        Random rnd = new Random(1);
        float[] w = new float[rows * cols]; // (rows, cols): the same weights in every type
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.05f;
        }
        float[] x = new float[numTokens * cols]; // (numTokens, cols)
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] out = new float[numTokens * rows];
        double macs = (double) rows * cols * numTokens;
        try (Arena arena = Arena.ofShared(); VectorOps ops = new VectorOps(threads)) {
            WeightMatrix[][] copies = new WeightMatrix[types.length][];
            for (int k = 0; k < types.length; k++) {
                copies[k] = copies(arena, types[k], w, rows, cols);
                System.out.printf("%-7s %,d bytes (%.2f per weight), %d cold copies%n", types[k], bytes(copies[k][0]),
                        (double) bytes(copies[k][0]) / rows / cols, copies[k].length);
            }
            double[][] hot = new double[types.length][rounds]; // GMAC/s per type and round
            double[][] cold = new double[types.length][rounds];
            for (int k = 0; k < types.length; k++) { // warm-up, which also gets C2 to compile the kernels
                time(ops, copies[k], x, out, numTokens, 1_000_000_000L);
            }
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < types.length; k++) {
                    hot[k][r] = macs * time(ops, new WeightMatrix[] {copies[k][0]}, x, out, numTokens, 100_000_000L);
                    cold[k][r] = macs * time(ops, copies[k], x, out, numTokens, 100_000_000L);
                }
            }
            for (int k = 0; k < types.length; k++) {
                Arrays.sort(hot[k]);
                Arrays.sort(cold[k]);
                System.out.printf("%-7s GMAC/s best / median: hot %5.1f / %5.1f  cold %5.1f / %5.1f  (cold %5.1f GB/s best)%n",
                        types[k], hot[k][rounds - 1], hot[k][rounds / 2], cold[k][rounds - 1], cold[k][rounds / 2],
                        cold[k][rounds - 1] / macs * bytes(copies[k][0]));
            }
        }
    }

    /** The bytes a matmul reads from the weights: the elements and, for F8_E4M3, the block scales. */
    private static long bytes(WeightMatrix w) {
        return w.data().byteSize() + (w.scales() == null ? 0 : w.scales().data().byteSize());
    }

    private static WeightMatrix[] copies(Arena arena, GgmlType type, float[] w, int rows, int cols) {
        WeightMatrix first;
        if (type == GgmlType.F8_E4M3) {
            first = Fp8Weights.quantize(arena, "bench.F8_E4M3", w, rows, cols, 128, 128);
        } else {
            MemorySegment data = arena.allocate(type.bytesFor(w.length), 64);
            GgmlCodec.encode(type, w, 0, w.length, data, 0);
            first = new WeightMatrix("bench." + type, type, rows, cols, data);
        }
        WeightMatrix[] copies = new WeightMatrix[(int) Math.max(2, COLD_BYTES / bytes(first))];
        for (int c = 0; c < copies.length; c++) { // all 64-byte aligned (Fp8Weights misaligns on purpose)
            MemorySegment data = arena.allocate(first.data().byteSize(), 64).copyFrom(first.data());
            BlockScales scales = first.scales() == null ? null : new BlockScales(first.scales().blockRows(),
                    first.scales().blockCols(), arena.allocate(first.scales().data().byteSize(), 64).copyFrom(first.scales().data()));
            copies[c] = new WeightMatrix("bench." + type + "." + c, type, rows, cols, data, scales);
        }
        return copies;
    }

    /** Matmul calls per nanosecond over about {@code nanos}, cycling through {@code ws}. */
    private static double time(VectorOps ops, WeightMatrix[] ws, float[] x, float[] out, int numTokens, long nanos) {
        long t0 = System.nanoTime();
        long end = t0 + nanos;
        long calls = 0;
        do {
            for (int i = 0; i < 4; i++, calls++) {
                ops.matmul(ws[(int) (calls % ws.length)], x, out, numTokens);
            }
        } while (System.nanoTime() < end);
        return (double) calls / (System.nanoTime() - t0);
    }
}
