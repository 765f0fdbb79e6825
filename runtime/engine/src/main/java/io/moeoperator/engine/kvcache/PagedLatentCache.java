package io.moeoperator.engine.kvcache;

import io.moeoperator.engine.model.ModelConfig;

/**
 * The latent cache of every sequence, in one pool per layer: rows of {@code kvLoraRank} latent floats
 * and {@code qkRope} rotary-key floats, grouped into blocks of {@code blockSize} rows.
 */
final class PagedLatentCache {
    private final float[][] latent;  // per layer (numBlocks * blockSize, kvLora)
    private final float[][] keyRope; // per layer (numBlocks * blockSize, qkRope)

    PagedLatentCache(ModelConfig c, int numBlocks, int blockSize) {
        long rows = (long) numBlocks * blockSize;
        if (rows * Math.max(c.kvLoraRank(), c.qkRope()) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + rows + " rows per layer is too large for one array;"
                    + " lower the KV cache budget");
        }
        latent = new float[c.numLayers()][(int) rows * c.kvLoraRank()];
        keyRope = new float[c.numLayers()][(int) rows * c.qkRope()];
    }

    /** Bytes per cached token across all layers. */
    static long bytesPerToken(ModelConfig c) {
        return (long) c.numLayers() * (c.kvLoraRank() + c.qkRope()) * Float.BYTES;
    }

    float[] latent(int layer) {
        return latent[layer];
    }

    float[] keyRope(int layer) {
        return keyRope[layer];
    }
}
