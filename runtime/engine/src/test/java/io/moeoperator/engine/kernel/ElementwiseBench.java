package io.moeoperator.engine.kernel;

import java.util.Arrays;
import java.util.Random;

/**
 * Speed of {@link VectorOps#softmax} and {@link VectorOps#swiglu} in ns per element, single-threaded,
 * at the lengths the model uses (attention over 64 keys, an expert's 704-wide hidden layer) and two
 * input spreads: N(0, 5) (every e^x a normal float, FloatExp's short path) and N(0, 40) (many lanes
 * below e^-87, where FloatExp takes its longer path). Median of 5 rounds of about 0.3 s after 1 s of
 * warm-up. Add {@code -XX:TieredStopAtLevel=1} to measure the kernels before C2 has compiled them.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes \
 *     io.moeoperator.engine.kernel.ElementwiseBench
 * </pre>
 *
 * <p>Measured 2026-12-03 on 2 shared Zen 4 cores (AVX-512; load 4-6 from other builds, so +-30%), ns per
 * element, FloatExp / the lanewise(EXP) it replaced:
 * <pre>
 *                         C2 (steady state)             C1 only (before C2 compiles them)
 *                         softmax       swiglu          softmax        swiglu
 * N(0, 5),  n = 64        1.17 / 1.25   0.49 / 0.46     856 / 125      270 / 56
 * N(0, 5),  n = 704       0.55 / 0.68   0.26 / 0.34     288 / 63       409 / 40
 * N(0, 40), n = 64        2.20 / 1.66   1.01 / 0.48     836 / 95       511 / 38
 * N(0, 40), n = 704       1.22 / 0.72   0.67 / 0.36     1582 / 60      321 / 46
 * </pre>
 * Compiled, FloatExp is faster on the short path and up to 2x slower where most vectors hold a lane
 * below e^-87 (its second scaling step, then two blends). Before C2, every Vector API operation runs
 * as a Java loop with allocations (a reinterpret, which FloatExp needs twice, costs about 0.5 us),
 * and FloatExp has about 17 operations where lanewise(EXP) was one: 5-25x slower for the first
 * thousands of calls.
 */
public final class ElementwiseBench {
    private ElementwiseBench() {}

    public static void main(String[] args) {
        try (VectorOps ops = new VectorOps(1)) {
            for (float spread : new float[] {5f, 40f}) {
                for (int n : new int[] {64, 704}) {
                    System.out.printf("spread %4.0f n %4d: softmax %6.2f ns/element, swiglu %6.2f ns/element%n", spread, n,
                            nsPerElement(ops, true, n, spread), nsPerElement(ops, false, n, spread));
                }
            }
        }
    }

    private static double nsPerElement(VectorOps ops, boolean softmax, int n, float spread) {
        Random rnd = new Random(1);
        float[] input = new float[n];
        float[] up = new float[n];
        for (int i = 0; i < n; i++) {
            input[i] = (float) rnd.nextGaussian() * spread;
            up[i] = (float) rnd.nextGaussian();
        }
        float[] x = new float[n];
        run(ops, softmax, input, x, up, 1_000_000_000L);
        double[] rounds = new double[5];
        for (int r = 0; r < rounds.length; r++) {
            long t0 = System.nanoTime();
            long calls = run(ops, softmax, input, x, up, 300_000_000L);
            rounds[r] = (System.nanoTime() - t0) / (double) calls / n;
        }
        Arrays.sort(rounds);
        return rounds[rounds.length / 2];
    }

    /** Calls the kernel (on a fresh copy of the input each time) for about {@code nanos}; returns the call count. */
    private static long run(VectorOps ops, boolean softmax, float[] input, float[] x, float[] up, long nanos) {
        long calls = 0;
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 100; i++, calls++) {
                System.arraycopy(input, 0, x, 0, x.length);
                if (softmax) {
                    ops.softmax(x, 0, x.length);
                } else {
                    ops.swiglu(x, up, x.length);
                }
            }
        }
        return calls;
    }
}
