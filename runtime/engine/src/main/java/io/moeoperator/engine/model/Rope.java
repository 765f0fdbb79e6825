package io.moeoperator.engine.model;

import java.util.Arrays;

/**
 * Rotary position tables (cos, sin per pair) with YaRN. The angles are computed exactly as ggml's
 * {@code rope_yarn} and {@code ggml_rope_cache_init} do for llama.cpp's deepseek2 graph: the angle
 * advances by repeated float multiplication and the ramp mixes interpolated and extrapolated angles.
 * DeepSeek's code computes the same angle as {@code pos * inv_freq} with the same ramp; the two
 * differ only in float rounding. The magnitude of cos and sin is the source's
 * ({@link RopeScaling#magnitude()}: llama.cpp's about-1, DeepSeek's mscale ratio).
 */
public final class Rope {
    private final int numPairs;
    private final float freqScale;
    private final float thetaScale;
    private final float extFactor;
    private final float mscale;
    private final float corrLow;
    private final float corrHigh;
    private float[][] cos = new float[0][];
    private float[][] sin = new float[0][];

    public Rope(int ropeDims, float freqBase, RopeScaling scaling) {
        this.numPairs = ropeDims / 2;
        this.freqScale = scaling.freqScale();
        this.thetaScale = (float) Math.pow(freqBase, -2.0 / ropeDims);
        this.extFactor = scaling.yarn() ? 1f : 0f;
        this.mscale = scaling.magnitude();
        float start = (float) Math.floor(corrDim(ropeDims, scaling.originalContext(), scaling.betaFast(), freqBase));
        float end = (float) Math.ceil(corrDim(ropeDims, scaling.originalContext(), scaling.betaSlow(), freqBase));
        this.corrLow = Math.max(0, start);
        this.corrHigh = Math.min(ropeDims - 1, end);
    }

    /** Dimension index where the rotation at {@code numRot} turns over the original context. */
    private static float corrDim(int dims, int ctxOrig, float numRot, float base) {
        return dims * (float) Math.log(ctxOrig / (numRot * 2 * (float) Math.PI)) / (2 * (float) Math.log(base));
    }

    public float[] cos(int pos) {
        ensure(pos);
        return cos[pos];
    }

    public float[] sin(int pos) {
        ensure(pos);
        return sin[pos];
    }

    private synchronized void ensure(int pos) {
        if (pos < cos.length && cos[pos] != null) {
            return;
        }
        if (pos >= cos.length) {
            int n = Math.max(pos + 1, cos.length * 2);
            cos = Arrays.copyOf(cos, n);
            sin = Arrays.copyOf(sin, n);
        }
        float[] c = new float[numPairs];
        float[] s = new float[numPairs];
        float theta = pos;
        for (int i = 0; i < numPairs; i++) {
            float thetaInterp = freqScale * theta;
            float t = thetaInterp;
            if (extFactor != 0) {
                float y = (i - corrLow) / Math.max(0.001f, corrHigh - corrLow);
                float rampMix = (1 - Math.min(1, Math.max(0, y))) * extFactor;
                t = thetaInterp * (1 - rampMix) + theta * rampMix;
            }
            c[i] = (float) Math.cos(t) * mscale;
            s[i] = (float) Math.sin(t) * mscale;
            theta *= thetaScale;
        }
        cos[pos] = c;
        sin[pos] = s;
    }
}
