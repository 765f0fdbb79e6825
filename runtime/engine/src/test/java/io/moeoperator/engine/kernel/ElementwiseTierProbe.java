package io.moeoperator.engine.kernel;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The workload {@link ElementwiseTierIT} runs in a child JVM (interpreted, or C1 only) and in its own
 * (compiled by C2): {@link VectorOps#softmax} and {@link VectorOps#swiglu} on seeded inputs, rows long
 * and short so both the vector body and the scalar tail run, with the values that reach exp's edges.
 * {@code main(outFile)} writes the results' bits.
 */
public final class ElementwiseTierProbe {
    static final int[] LENGTHS = {5, 16, 31, 100, 1031};

    private ElementwiseTierProbe() {}

    /** Every output of the workload, in order. */
    static float[] run(VectorOps ops) {
        Random rnd = new Random(42);
        int total = 0;
        for (int n : LENGTHS) {
            total += 2 * n;
        }
        float[] results = new float[total];
        int at = 0;
        for (int n : LENGTHS) {
            // Attention-like scores: a wide spread, some masked (-Inf), so exp sees 0 down to below -104.
            float[] scores = new float[n];
            for (int i = 0; i < n; i++) {
                scores[i] = i % 7 == 3 ? Float.NEGATIVE_INFINITY : (float) rnd.nextGaussian() * (i % 2 == 0 ? 3f : 30f);
            }
            ops.softmax(scores, 0, n);
            System.arraycopy(scores, 0, results, at, n);
            at += n;
            // Gates wide enough for e^-g to overflow and to underflow.
            float[] gate = new float[n];
            float[] up = new float[n];
            for (int i = 0; i < n; i++) {
                gate[i] = (float) rnd.nextGaussian() * (i % 3 == 0 ? 50f : 4f);
                up[i] = (float) rnd.nextGaussian();
            }
            ops.swiglu(gate, up, n);
            System.arraycopy(gate, 0, results, at, n);
            at += n;
        }
        return results;
    }

    public static void main(String[] args) throws IOException {
        float[] results;
        try (VectorOps ops = new VectorOps(1)) {
            results = run(ops);
        }
        try (OutputStream file = Files.newOutputStream(Path.of(args[0]));
             DataOutputStream out = new DataOutputStream(file)) {
            out.writeInt(results.length);
            for (float v : results) {
                out.writeInt(Float.floatToRawIntBits(v));
            }
        }
    }
}
