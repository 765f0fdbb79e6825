package io.moeoperator.engine.kvcache;

import io.moeoperator.engine.model.ModelConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The latent cache of every sequence, in one pool per layer: rows of {@code kvLoraRank} latent floats
 * and {@code qkRope} rotary-key floats, grouped into blocks of {@code blockSize} rows.
 *
 * <p>Native memory from one shared arena (the attention heads read it from the kernels' threads),
 * allocated and zeroed at once: the whole budget is committed at start-up, so a cache too large for
 * the container fails then rather than under load. {@link #close()} frees it; no sequence may use it
 * afterwards.
 */
final class PagedLatentCache implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] latent;  // per layer (numBlocks * blockSize, kvLora) F32
    private final MemorySegment[] keyRope; // per layer (numBlocks * blockSize, qkRope) F32

    PagedLatentCache(ModelConfig c, int numBlocks, int blockSize) {
        long rows = (long) numBlocks * blockSize;
        long latentBytes = rows * c.kvLoraRank() * Float.BYTES;
        long ropeBytes = rows * c.qkRope() * Float.BYTES;
        latent = new MemorySegment[c.numLayers()];
        keyRope = new MemorySegment[c.numLayers()];
        try {
            for (int l = 0; l < c.numLayers(); l++) {
                latent[l] = arena.allocate(latentBytes, 64);
                keyRope[l] = arena.allocate(ropeBytes, 64);
            }
        } catch (OutOfMemoryError e) {
            arena.close();
            throw new IllegalStateException("cannot allocate a KV cache of " + bytesPerToken(c) * rows + " bytes ("
                    + rows + " tokens) in native memory: " + e.getMessage() + "; lower --kv-cache-memory", e);
        }
    }

    /** Bytes per cached token across all layers. */
    static long bytesPerToken(ModelConfig c) {
        return (long) c.numLayers() * (c.kvLoraRank() + c.qkRope()) * Float.BYTES;
    }

    MemorySegment latent(int layer) {
        return latent[layer];
    }

    MemorySegment keyRope(int layer) {
        return keyRope[layer];
    }

    @Override
    public void close() {
        arena.close();
    }
}
