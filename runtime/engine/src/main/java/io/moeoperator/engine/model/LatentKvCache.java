package io.moeoperator.engine.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One sequence's MLA cache: per layer and position only the normalised latent c_kv and the rotated
 * shared key k_pe (kvLoraRank + qkRope floats), never per-head keys or values. Contiguous (row =
 * position) and growing on demand: for single-sequence use; the serving engine uses a paged cache.
 *
 * <p>Native memory from automatic arenas: a grown cache's old segments, and a dropped cache, are freed
 * when the garbage collector finds them unreachable, so callers never close it. Good enough for the
 * one-sequence paths (generate, bench, tests); the engine sizes and frees its paged cache explicitly.
 */
public final class LatentKvCache implements KvView {
    private final int kvLora;
    private final int rope;
    private final int maxPositions;
    private final MemorySegment[] latent;  // per layer (capacity, kvLora) F32
    private final MemorySegment[] keyRope; // per layer (capacity, qkRope) F32
    private int capacity;
    private int length;

    public LatentKvCache(ModelConfig c) {
        this.kvLora = c.kvLoraRank();
        this.rope = c.qkRope();
        this.maxPositions = c.contextLength();
        this.latent = new MemorySegment[c.numLayers()];
        this.keyRope = new MemorySegment[c.numLayers()];
        Arrays.fill(latent, MemorySegment.NULL);
        Arrays.fill(keyRope, MemorySegment.NULL);
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
        if (positions <= capacity) {
            return;
        }
        // Doubling (from 16) keeps the copies linear in the final length, as the arrays' growth did.
        int cap = Math.min(maxPositions, Math.max(positions, capacity * 2 + 16));
        for (int l = 0; l < latent.length; l++) {
            latent[l] = grow(latent[l], (long) cap * kvLora);
            keyRope[l] = grow(keyRope[l], (long) cap * rope);
        }
        capacity = cap;
    }

    private static MemorySegment grow(MemorySegment old, long floats) {
        MemorySegment bigger = Arena.ofAuto().allocate(floats * Float.BYTES, 64);
        MemorySegment.copy(old, 0, bigger, 0, old.byteSize());
        return bigger;
    }

    @Override
    public MemorySegment latent(int layer) {
        return latent[layer];
    }

    @Override
    public MemorySegment keyRope(int layer) {
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
