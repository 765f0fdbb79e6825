package io.moeoperator.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RopeTest {
    @Test
    void withoutScalingItIsThePlainRotation() {
        Rope rope = new Rope(64, 10000f, RopeScaling.none(4096));
        for (int pos : new int[] {0, 1, 17, 4000}) {
            for (int i = 0; i < 32; i++) {
                double theta = pos * Math.pow(10000, -2.0 * i / 64);
                // The angle advances by repeated float multiplication, as in ggml: allow its drift.
                assertEquals(Math.cos(theta), rope.cos(pos)[i], 2e-3, "cos pos " + pos + " pair " + i);
                assertEquals(Math.sin(theta), rope.sin(pos)[i], 2e-3, "sin pos " + pos + " pair " + i);
            }
        }
    }

    @Test
    void yarnKeepsUnitMagnitudeAndInterpolatesOnlyLowFrequencies() {
        RopeScaling yarn = RopeScaling.llamaCpp(true, 40f, 4096, 0.0707f);
        Rope rope = new Rope(64, 10000f, yarn);
        Rope plain = new Rope(64, 10000f, RopeScaling.none(4096));
        int pos = 1000;
        for (int i = 0; i < 32; i++) {
            float c = rope.cos(pos)[i];
            float s = rope.sin(pos)[i];
            // llama.cpp's deepseek2 graph divides out YaRN's magnitude boost: rotations stay rotations.
            assertEquals(1.0, c * c + s * s, 1e-5, "magnitude of pair " + i);
        }
        // Highest frequencies (pair 0) are extrapolated: unchanged. The lowest are interpolated by 1/40.
        assertEquals(plain.cos(pos)[0], rope.cos(pos)[0], 1e-6);
        double lowTheta = pos * Math.pow(10000, -2.0 * 31 / 64) / 40;
        assertEquals(Math.cos(lowTheta), rope.cos(pos)[31], 1e-4);
    }

    @Test
    void deepSeekV2LiteSoftmaxScale() {
        // V2-Lite: qk head 192, YaRN factor 40, mscale_all_dim 0.707 -> 0.11472 (published config).
        ModelConfig c = new ModelConfig("v2-lite", 102400, 163840, 2048, 27, 16, 10944, 1408, 64, 6, 2, 1, 1, 0, 512,
                128, 64, 128, 1e-6f, 10000f, RopeScaling.llamaCpp(true, 40f, 4096, 0.0707f), RopePairing.INTERLEAVED,
                ExpertRouting.llamaCpp(GatingFunction.SOFTMAX, false, false, 1f), false);
        assertEquals(0.11472, c.kqScale(), 1e-5);
    }

    /** DeepSeek's YaRN tables in double (DeepseekV2YarnRotaryEmbedding._set_cos_sin_cache), one pair's cos or sin. */
    static double deepSeekYarn(boolean cos, int pos, int pair, int dim, double base, double factor, int original,
                               double betaFast, double betaSlow, double mscale, double mscaleAllDim) {
        double freqExtra = 1.0 / Math.pow(base, 2.0 * pair / dim);
        double freqInter = freqExtra / factor;
        double low = Math.max(0, Math.floor(correctionDim(betaFast, dim, base, original)));
        double high = Math.min(dim - 1, Math.ceil(correctionDim(betaSlow, dim, base, original)));
        if (low == high) {
            high += 0.001;
        }
        double ramp = Math.min(1, Math.max(0, (pair - low) / (high - low)));
        double mask = 1 - ramp;
        double invFreq = freqInter * (1 - mask) + freqExtra * mask;
        double m = RopeScaling.yarnGetMscale(factor, mscale) / RopeScaling.yarnGetMscale(factor, mscaleAllDim);
        return (cos ? Math.cos(pos * invFreq) : Math.sin(pos * invFreq)) * m;
    }

    static double correctionDim(double rotations, int dim, double base, int original) {
        return dim * Math.log(original / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    @Test
    void deepSeekYarnTablesFollowTheReferenceFormula() {
        double[][] cases = { // factor, original context, beta_fast, beta_slow, mscale, mscale_all_dim
            {40, 4096, 32, 1, 0.707, 0.707},  // DeepSeek-V2-Lite
            {40, 4096, 32, 1, 1.0, 1.0},      // DeepSeek-V3
            {4, 32, 16, 2, 1.0, 0.5},         // other ramp; magnitudes that do not cancel
        };
        for (double[] k : cases) {
            RopeScaling yarn = RopeScaling.deepSeekYarn((float) k[0], (int) k[1], (float) k[2], (float) k[3], k[4], k[5]);
            Rope rope = new Rope(64, 10000f, yarn);
            for (int pos : new int[] {0, 1, 7, 300, 1000}) {
                for (int i = 0; i < 32; i++) {
                    String what = java.util.Arrays.toString(k) + " pos " + pos + " pair " + i;
                    // The angle advances by repeated float multiplication (ggml): allow its drift.
                    assertEquals(deepSeekYarn(true, pos, i, 64, 10000, k[0], (int) k[1], k[2], k[3], k[4], k[5]),
                            rope.cos(pos)[i], 1e-3, "cos " + what);
                    assertEquals(deepSeekYarn(false, pos, i, 64, 10000, k[0], (int) k[1], k[2], k[3], k[4], k[5]),
                            rope.sin(pos)[i], 1e-3, "sin " + what);
                }
            }
        }
    }

    @Test
    void deepSeekYarnMagnitudes() {
        // Equal mscale and mscale_all_dim (every published checkpoint): rotations stay rotations, exactly.
        assertEquals(1f, RopeScaling.deepSeekYarn(40f, 4096, 32f, 1f, 0.707, 0.707).magnitude());
        RopeScaling skewed = RopeScaling.deepSeekYarn(40f, 4096, 32f, 1f, 1.0, 0.707);
        assertEquals((0.1 * Math.log(40) + 1) / (0.1 * 0.707 * Math.log(40) + 1), skewed.magnitude(), 1e-6);
        assertEquals(0.1 * 0.707 * Math.log(40) + 1, skewed.attentionMscale(), 1e-6);
        // No mscale_all_dim (0): DeepSeek's code scales cos/sin by get_mscale(s, mscale) and leaves the softmax alone.
        RopeScaling noAllDim = RopeScaling.deepSeekYarn(40f, 4096, 32f, 1f, 1.0, 0);
        assertEquals(0.1 * Math.log(40) + 1, noAllDim.magnitude(), 1e-6);
        assertEquals(1f, noAllDim.attentionMscale());
        // A factor <= 1 changes nothing.
        assertEquals(1f, RopeScaling.deepSeekYarn(1f, 4096, 32f, 1f, 0.707, 0.707).attentionMscale());
    }

    @Test
    void deepSeekV3SoftmaxScale() {
        // V3: qk head 192, YaRN factor 40, mscale_all_dim 1.0: (1 + 0.1 ln 40)^2 / sqrt(192).
        ModelConfig c = new ModelConfig("v3", 129280, 163840, 7168, 61, 128, 18432, 2048, 256, 8, 1, 3, 1, 1536, 512,
                128, 64, 128, 1e-6f, 10000f, RopeScaling.deepSeekYarn(40f, 4096, 32f, 1f, 1.0, 1.0), RopePairing.INTERLEAVED,
                new ExpertRouting(GatingFunction.SIGMOID, ExpertRouting.Selection.GROUP_TOP2_SUM, 8, 4, true,
                        ExpertRouting.Weighting.DEEPSEEK_V3, true, 2.5f), false);
        double m = 0.1 * Math.log(40) + 1;
        assertEquals(m * m / Math.sqrt(192), c.kqScale(), 1e-7);
    }
}
