package io.moeoperator.engine.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
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
    void logitBiasIsAddedBeforeGreedyChoice() {
        // LOGITS' argmax is 1 (3.0, tied with 4, lowest index wins).
        assertEquals(4, new Sampler(SamplingParams.greedy().withLogitBias(Map.of(1, -0.5f))).sample(LOGITS));
        assertEquals(3, new Sampler(SamplingParams.greedy().withLogitBias(Map.of(3, 100f))).sample(LOGITS),
                "+100 forces the token with the lowest logit");
        assertEquals(2, new Sampler(SamplingParams.greedy().withLogitBias(Map.of(1, -100f, 4, Float.NEGATIVE_INFINITY)))
                .sample(LOGITS), "-100 and -Infinity ban");
    }

    @Test
    void aBannedTokenIsNeverDrawnAndAForcedOneAlways() {
        Sampler banned = new Sampler(new SamplingParams(2f, 0, 1f, 5, Map.of(1, -100f, 4, -100f)));
        Sampler forced = new Sampler(new SamplingParams(2f, 0, 1f, 5, Map.of(5, 100f)));
        for (int i = 0; i < 2000; i++) {
            int t = banned.sample(LOGITS);
            assertTrue(t != 1 && t != 4, "banned token drawn: " + t);
            assertEquals(5, forced.sample(LOGITS));
        }
    }

    @Test
    void biasShiftsTheSoftmax() {
        // p = 0.5 each without bias; +ln 3 on token 1 makes it 0.75.
        Sampler s = new Sampler(new SamplingParams(1f, 0, 1f, 7, Map.of(1, (float) Math.log(3))));
        int ones = 0;
        int n = 20000;
        for (int i = 0; i < n; i++) {
            ones += s.sample(new float[] {0f, 0f});
        }
        assertEquals(0.75, ones / (double) n, 0.02);
    }

    @Test
    void theCallersLogitsAreLeftAloneAndIdsBeyondThemSkipped() {
        float[] logits = LOGITS.clone();
        Sampler s = new Sampler(SamplingParams.greedy().withLogitBias(Map.of(0, 50f, 99, 100f)));
        assertEquals(0, s.sample(logits));
        assertEquals(LOGITS.length, logits.length);
        for (int i = 0; i < LOGITS.length; i++) {
            assertEquals(LOGITS[i], logits[i], "logit " + i + " was modified");
        }
    }

    @Test
    void invalidParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1f, 0, Map.of(-1, 1f)));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1f, 0, Map.of(1, Float.NaN)));
        assertThrows(IllegalArgumentException.class,
                () -> new SamplingParams(1f, 0, 1f, 0, Map.of(1, Float.POSITIVE_INFINITY)));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-0.1f, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(Float.NaN, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1.5f, 0));
    }
}
