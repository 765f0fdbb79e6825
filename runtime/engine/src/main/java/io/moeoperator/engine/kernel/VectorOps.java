package io.moeoperator.engine.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link TensorOps} on the Panama Vector API, with matmuls spread over a {@link Parallel} pool.
 *
 * <p>Matmul is {@link VectorMatmul}; the element-wise ops are here, vectorised where it pays.
 *
 * <p>Weight segments must be readable from the pool's threads (a shared or global arena, as a mapped
 * model file is); a confined segment fails with {@code WrongThreadException}.
 *
 * <p>Thread-safe: one matmul at a time spreads over the pool; one that finds the pool busy (called
 * concurrently, or from inside a pool task) runs on its own thread.
 */
public final class VectorOps implements TensorOps, AutoCloseable {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private final Parallel parallel;
    private final boolean ownsParallel;

    /** Uses all available processors. */
    public VectorOps() {
        this(new Parallel(), true);
    }

    /** Uses {@code numThreads} threads in all, the caller's included. */
    public VectorOps(int numThreads) {
        this(new Parallel(numThreads), true);
    }

    /** Uses a pool the caller owns (and closes). */
    public VectorOps(Parallel parallel) {
        this(parallel, false);
    }

    private VectorOps(Parallel parallel, boolean ownsParallel) {
        this.parallel = parallel;
        this.ownsParallel = ownsParallel;
    }

    @Override
    public void forEach(int n, java.util.function.IntConsumer body) {
        parallel.forRange(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                body.accept(i);
            }
        });
    }

    @Override
    public void matmul(WeightMatrix w, float[] x, float[] out, int numTokens) {
        VectorMatmul.matmul(parallel, w, x, out, numTokens);
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        float ss = dot(x, xOff, x, xOff, n);
        float scale = (float) (1.0 / Math.sqrt((double) ss / n + eps));
        int i = 0;
        // (x * scale) * weight in the reference's order, so only the scale can differ from it.
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, x, xOff + i).mul(scale).mul(FloatVector.fromArray(F, weight, i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] * scale * weight[i];
        }
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        int i = 0;
        FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; i <= n - L; i += L) {
            vmax = vmax.max(FloatVector.fromArray(F, x, off + i));
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        FloatVector vsum = FloatVector.zero(F);
        i = 0;
        // FloatExp, not lanewise(EXP): EXP's result changes by an ulp when C2 compiles this loop. The
        // tail calls its scalar twin, so an element's e^x does not depend on where n put the tail.
        for (; i <= n - L; i += L) {
            FloatVector e = FloatExp.exp(FloatVector.fromArray(F, x, off + i).sub(max));
            e.intoArray(x, off + i);
            vsum = vsum.add(e);
        }
        float sum = LaneSums.sum(vsum); // a fixed order: reduceLanes' changes when C2 compiles it
        for (; i < n; i++) {
            float e = FloatExp.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, x, off + i).mul(inv).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= inv;
        }
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        int i = 0;
        // silu in F32 as llama.cpp computes it, g / (1 + e^-g), then times up; large negative g gives
        // e^-g = inf and silu = -0. The tail does the same float operations, FloatExp's scalar twin
        // included, so an element's result does not depend on whether it fell in the tail.
        for (; i <= n - L; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector silu = g.div(FloatExp.exp(g.neg()).add(1f));
            silu.mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (FloatExp.exp(-g) + 1f) * up[i];
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return TokenDots.dot1(a, aOff, b, bOff, n);
    }

    @Override
    public float dot(float[] a, int aOff, MemorySegment b, long bOff, int n) {
        return TokenDots.dot1(a, aOff, b, bOff, n);
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        // Multiply, then add (no FMA): the same two roundings as the reference, so results are identical.
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, y, yOff + i).add(FloatVector.fromArray(F, x, xOff + i).mul(alpha)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public void axpy(float alpha, MemorySegment x, long xOff, float[] y, int yOff, int n) {
        int i = 0;
        long at = xOff * Float.BYTES;
        // As the array form: multiply, then add, so the segment and array forms agree bit for bit.
        for (; i <= n - L; i += L, at += (long) L * Float.BYTES) {
            FloatVector.fromArray(F, y, yOff + i).add(FloatVector.fromMemorySegment(F, x, at, NATIVE).mul(alpha)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x.getAtIndex(ValueLayout.JAVA_FLOAT, xOff + i);
        }
    }

    @Override
    public void rope(float[] x, int off, float[] cos, float[] sin) {
        ScalarOps.rotatePairs(x, off, cos, sin);
    }

    @Override
    public void topK(float[] scores, int off, int n, int k, int[] idxOut, int idxOff) {
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("topK: k = " + k + " must be in [0, n = " + n + "]");
        }
        if (k == 0) {
            return;
        }
        // Insertion into the sorted output: n is the expert count (tens to hundreds), k a handful, so one
        // pass with a short shift beats sorting. A strict comparison keeps the lower index first among
        // equals; NaN ranks below every number (the reference leaves NaN's place unspecified).
        int count = 0;
        for (int i = 0; i < n; i++) {
            float v = scores[off + i];
            if (count == k && !ranksAbove(v, scores[off + idxOut[idxOff + k - 1]])) {
                continue;
            }
            int p = Math.min(count, k - 1);
            while (p > 0 && ranksAbove(v, scores[off + idxOut[idxOff + p - 1]])) {
                idxOut[idxOff + p] = idxOut[idxOff + p - 1];
                p--;
            }
            idxOut[idxOff + p] = i;
            if (count < k) {
                count++;
            }
        }
    }

    private static boolean ranksAbove(float a, float b) {
        return a > b || (Float.isNaN(b) && !Float.isNaN(a));
    }

    @Override
    public void close() {
        if (ownsParallel) {
            parallel.close();
        }
    }
}
