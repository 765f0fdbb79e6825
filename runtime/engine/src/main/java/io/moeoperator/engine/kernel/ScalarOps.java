package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlCodec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference implementation of {@link TensorOps}: single-threaded, one element at a time, wide
 * accumulators. Slow on purpose; every fast implementation is tested against it.
 */
public final class ScalarOps implements TensorOps {

    @Override
    public void matmul(WeightMatrix w, float[] x, float[] out, int numTokens) {
        float[] row = new float[w.cols()];
        float[] xs = new float[w.cols()];
        for (int t = 0; t < numTokens; t++) {
            System.arraycopy(x, t * w.cols(), xs, 0, w.cols());
            ActivationRounding.roundInPlace(w.activationType(), xs, 0, w.cols());
            for (int o = 0; o < w.rows(); o++) {
                GgmlCodec.decode(w.type(), w.data(), (long) o * w.cols(), row, 0, w.cols());
                double sum = 0;
                for (int i = 0; i < w.cols(); i++) {
                    sum += weight(w, o, i, row[i]) * xs[i];
                }
                out[t * w.rows() + o] = (float) sum;
            }
        }
    }

    /**
     * The weight at (o, i) from its decoded element: the element itself, or for a block-scaled type the
     * element times its block's scale, in double. An FP8 value has 4 significant bits and a scale 24, so
     * the product is exact, and so is its product with an F32 activation (52 bits): only the sum rounds.
     */
    private static double weight(WeightMatrix w, int o, int i, float element) {
        return w.scales() == null ? element : (double) element * w.scales().scale(o, i, w.cols());
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += (double) x[xOff + i] * x[xOff + i];
        }
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] * scale * weight[i];
        }
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) {
            x[off + i] *= inv;
        }
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = (float) (g / (1.0 + Math.exp(-g))) * up[i];
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) a[aOff + i] * b[bOff + i];
        }
        return (float) sum;
    }

    @Override
    public float dot(float[] a, int aOff, MemorySegment b, long bOff, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) a[aOff + i] * b.getAtIndex(ValueLayout.JAVA_FLOAT, bOff + i);
        }
        return (float) sum;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public void axpy(float alpha, MemorySegment x, long xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x.getAtIndex(ValueLayout.JAVA_FLOAT, xOff + i);
        }
    }

    @Override
    public void rope(float[] x, int off, float[] cos, float[] sin) {
        rotatePairs(x, off, cos, sin);
    }

    /** Shared with {@link VectorOps}: a head's rotation is a few dozen pairs, not worth vectorising. */
    static void rotatePairs(float[] x, int off, float[] cos, float[] sin) {
        for (int p = 0; p < cos.length; p++) {
            float x0 = x[off + 2 * p];
            float x1 = x[off + 2 * p + 1];
            x[off + 2 * p] = x0 * cos[p] - x1 * sin[p];
            x[off + 2 * p + 1] = x0 * sin[p] + x1 * cos[p];
        }
    }

    @Override
    public void topK(float[] scores, int off, int n, int k, int[] idxOut, int idxOff) {
        boolean[] taken = new boolean[n];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (!taken[i] && (best < 0 || scores[off + i] > scores[off + best])) {
                    best = i;
                }
            }
            taken[best] = true;
            idxOut[idxOff + j] = best;
        }
    }
}
