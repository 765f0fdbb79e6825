package io.moeoperator.engine.model;

import java.util.Arrays;

/**
 * One sequence's MLA cache: per layer and position only the normalised latent c_kv and the rotated
 * shared key k_pe (kvLoraRank + qkRope floats), never per-head keys or values. Contiguous (row =
 * position) and growing on demand: for single-sequence use; the serving engine uses a paged cache.
 */
public final class LatentKvCache implements KvView {
    private final int kvLora;
    private final int rope;
    private final int maxPositions;
    private final float[][] latent;  // per layer (positions, kvLora)
    private final float[][] keyRope; // per layer (positions, qkRope)
    private int length;

    public LatentKvCache(ModelConfig c) {
        this.kvLora = c.kvLoraRank();
        this.rope = c.qkRope();
        this.maxPositions = c.contextLength();
        this.latent = new float[c.numLayers()][0];
        this.keyRope = new float[c.numLayers()][0];
    }

    public int length() {
        return length;
    }

    public int maxPositions() {
        return maxPositions;
    }

    /** Makes room for positions up to {@code positions - 1}; fails past the model's context length. */
    void reserve(int positions) {
        if (positions > maxPositions) {
            throw new IllegalArgumentException("sequence of " + positions + " tokens exceeds the model's context length "
                    + maxPositions);
        }
        for (int l = 0; l < latent.length; l++) {
            if (latent[l].length < positions * kvLora) {
                int cap = Math.min(maxPositions, Math.max(positions, latent[l].length / kvLora * 2 + 16));
                latent[l] = Arrays.copyOf(latent[l], cap * kvLora);
                keyRope[l] = Arrays.copyOf(keyRope[l], cap * rope);
            }
        }
    }

    @Override
    public float[] latent(int layer) {
        return latent[layer];
    }

    @Override
    public float[] keyRope(int layer) {
        return keyRope[layer];
    }

    @Override
    public int slot(int pos) {
        return pos;
    }

    void advance(int n) {
        length += n;
    }

    /** Forgets positions from {@code newLength} on (e.g. to re-run a suffix). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " to " + newLength);
        }
        length = newLength;
    }
}
