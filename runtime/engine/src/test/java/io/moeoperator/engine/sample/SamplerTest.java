package io.moeoperator.engine.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {
    static final float[] LOGITS = {1f, 3f, 2.5f, -1f, 3f, 0f};

    @Test
    void greedyTakesTheFirstLargest() {
        assertEquals(1, new Sampler(SamplingParams.greedy()).sample(LOGITS));
        assertEquals(1, new Sampler(new SamplingParams(0.8f, 1, 1f, 9)).sample(LOGITS), "top-k 1 is greedy");
    }

    @Test
    void sameSeedSameTokens() {
        SamplingParams p = new SamplingParams(1f, 0, 1f, 42);
        Sampler a = new Sampler(p);
        Sampler b = new Sampler(p);
        for (int i = 0; i < 100; i++) {
            assertEquals(a.sample(LOGITS), b.sample(LOGITS));
        }
    }

    @Test
    void topKAndTopPRestrictTheCandidates() {
        Sampler topK = new Sampler(new SamplingParams(5f, 3, 1f, 1));
        Sampler topP = new Sampler(new SamplingParams(5f, 0, 0.5f, 1));
        for (int i = 0; i < 500; i++) {
            int k = topK.sample(LOGITS);
            assertTrue(k == 1 || k == 4 || k == 2, "top-3 only, got " + k);
            int p = topP.sample(LOGITS);
            // Probabilities (T=1 for the nucleus): 0.34, 0.34, 0.21 ... -> the two 3.0 logits reach 0.5.
            assertTrue(p == 1 || p == 4, "nucleus 0.5 only, got " + p);
        }
    }

    @Test
    void frequenciesFollowTheSoftmax() {
        Sampler s = new Sampler(new SamplingParams(1f, 0, 1f, 7));
        float[] logits = {0f, (float) Math.log(3)}; // p = 0.25, 0.75
        int ones = 0;
        int n = 20000;
        for (int i = 0; i < n; i++) {
            ones += s.sample(logits);
        }
        assertEquals(0.75, ones / (double) n, 0.02);
    }

    @Test
    void invalidParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-0.1f, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(Float.NaN, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1.5f, 0));
    }
}
