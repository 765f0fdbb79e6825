package io.moeoperator.engine.model;

/**
 * Where one sequence's latent cache lives: per layer, arrays of rows of {@code kvLoraRank} latent
 * floats and {@code qkRope} rotary-key floats, and the row ({@link #slot}) that holds each position.
 * A contiguous cache maps position p to row p; a paged cache maps it through a block table.
 */
public interface KvView {
    /** (rows, kvLoraRank) for {@code layer}. */
    float[] latent(int layer);

    /** (rows, qkRope) for {@code layer}. */
    float[] keyRope(int layer);

    /** The row holding position {@code pos}; the caller reserved it. */
    int slot(int pos);
}
