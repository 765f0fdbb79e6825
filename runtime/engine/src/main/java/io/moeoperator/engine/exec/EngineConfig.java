package io.moeoperator.engine.exec;

/**
 * How the engine schedules and caches, validated on construction.
 *
 * @param maxNumSeqs          sequences running at once (decoding or prefilling)
 * @param maxNumBatchedTokens tokens computed in one step across all sequences (prefill chunks + decodes)
 * @param blockSize           KV-cache block size in tokens
 * @param kvCacheBytes        memory budget for the latent KV cache; the block pool is sized from it
 * @param maxWaiting          requests allowed to wait before submit fails with {@link EngineFullException}
 */
public record EngineConfig(int maxNumSeqs, int maxNumBatchedTokens, int blockSize, long kvCacheBytes, int maxWaiting) {
    public EngineConfig {
        if (maxNumSeqs < 1) {
            throw new IllegalArgumentException("max-num-seqs must be >= 1, got " + maxNumSeqs);
        }
        if (maxNumBatchedTokens < maxNumSeqs) {
            throw new IllegalArgumentException("max-num-batched-tokens (" + maxNumBatchedTokens
                    + ") must be >= max-num-seqs (" + maxNumSeqs + ")");
        }
        if (blockSize < 1) {
            throw new IllegalArgumentException("block size must be >= 1, got " + blockSize);
        }
        if (kvCacheBytes < 1) {
            throw new IllegalArgumentException("KV cache budget must be > 0 bytes, got " + kvCacheBytes);
        }
        if (maxWaiting < 1) {
            throw new IllegalArgumentException("max waiting requests must be >= 1, got " + maxWaiting);
        }
    }

    /** This configuration with a KV cache of {@code bytes} (e.g. as the start-up memory budget sized it). */
    public EngineConfig withKvCacheBytes(long bytes) {
        return new EngineConfig(maxNumSeqs, maxNumBatchedTokens, blockSize, bytes, maxWaiting);
    }

    public static EngineConfig defaults() {
        return new EngineConfig(16, 512, 16, 256L << 20, 256);
    }
}
