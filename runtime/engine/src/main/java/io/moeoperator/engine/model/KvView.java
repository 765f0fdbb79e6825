package io.moeoperator.engine.model;

import java.lang.foreign.MemorySegment;

/**
 * Where one sequence's latent cache lives: per layer, native segments of rows of {@code kvLoraRank}
 * latent floats and {@code qkRope} rotary-key floats (F32, native byte order), and the row
 * ({@link #slot}) that holds each position. A contiguous cache maps position p to row p; a paged cache
 * maps it through a block table. Off the Java heap, so the heap does not have to hold the cache and
 * a cache is not limited to 2^31 floats; the segments must be readable from the kernels' threads.
 */
public interface KvView {
    /** (rows, kvLoraRank) F32 for {@code layer}. */
    MemorySegment latent(int layer);

    /** (rows, qkRope) F32 for {@code layer}. */
    MemorySegment keyRope(int layer);

    /** The row holding position {@code pos}; the caller reserved it. */
    int slot(int pos);
}
