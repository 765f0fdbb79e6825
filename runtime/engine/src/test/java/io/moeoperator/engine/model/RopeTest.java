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
        RopeScaling yarn = new RopeScaling(true, 40f, 4096, 0.0707f, 32f, 1f);
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
        ModelConfig c = new ModelConfig("v2-lite", 102400, 163840, 2048, 27, 16, 10944, 1408, 64, 6, 2, 1, 0, 512,
                128, 64, 128, 1e-6f, 10000f, new RopeScaling(true, 40f, 4096, 0.0707f, 32f, 1f),
                GatingFunction.SOFTMAX, false, 1f);
        assertEquals(0.11472, c.kqScale(), 1e-5);
    }
}
