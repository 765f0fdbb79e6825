package io.moeoperator.engine.model;

/** Small model configurations for cache and scheduler tests (no weights needed). */
public final class TestConfigs {
    /** 2 layers, kv_lora 32, qk_rope 16: 384 cache bytes per token. */
    public static final ModelConfig SMALL = new ModelConfig("t", 100, 1024, 64, 2, 2, 128, 32, 4, 2, 1, 1, 1, 32, 32, 16,
            16, 16, 1e-6f, 10000f, RopeScaling.none(1024), RopePairing.INTERLEAVED,
            ExpertRouting.llamaCpp(GatingFunction.SOFTMAX, false, false, 1f), false);

    private TestConfigs() {}
}
