package io.moeoperator.engine.model;

/**
 * Which of a head's rotary dimensions rotate together. The rotation of each pair is the same; only
 * the layout of the {@code qk_rope} values in q and k_pe differs, and it is fixed by how the
 * checkpoint's q and kv_a rows were trained.
 */
public enum RopePairing {
    /**
     * Adjacent pairs (x0, x1), (x2, x3), ...: ggml's "normal" RoPE, DeepSeek's own code (it
     * de-interleaves and then rotates halves, which pairs the same values) and transformers'
     * DeepSeek-V2 and DeepSeek-V3 with {@code rope_interleave: true} (its default).
     */
    INTERLEAVED,
    /** (x_i, x_{i + d/2}): transformers' {@code rotate_half}, DeepSeek-V3 with {@code rope_interleave: false}. */
    HALVES
}
