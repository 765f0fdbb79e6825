package io.moeoperator.engine.kvcache;

import io.moeoperator.engine.model.KvView;
import io.moeoperator.engine.model.ModelConfig;

/**
 * Hands out paged latent-cache space to sequences. Callers see only {@link SequenceCache} (a
 * {@link KvView} plus capacity); blocks, the free list and reference counts stay inside. Used by the
 * engine's step thread only.
 */
public final class KvCacheManager {
    private final int blockSize;
    private final BlockPool pool;
    private final PagedLatentCache cache;

    /** Sizes the pool from a memory budget: as many whole blocks as fit. */
    public KvCacheManager(ModelConfig c, int blockSize, long budgetBytes) {
        this.blockSize = blockSize;
        long perBlock = PagedLatentCache.bytesPerToken(c) * blockSize;
        long numBlocks = budgetBytes / perBlock;
        if (numBlocks < 1) {
            throw new IllegalArgumentException("KV cache budget of " + budgetBytes + " bytes holds no block of "
                    + blockSize + " tokens (" + perBlock + " bytes each for this model)");
        }
        if (numBlocks > Integer.MAX_VALUE / blockSize) {
            numBlocks = Integer.MAX_VALUE / blockSize;
        }
        this.pool = new BlockPool((int) numBlocks);
        this.cache = new PagedLatentCache(c, (int) numBlocks, blockSize);
    }

    public int blockSize() {
        return blockSize;
    }

    public int numBlocks() {
        return pool.numBlocks();
    }

    public int numFreeBlocks() {
        return pool.numFree();
    }

    /** Fraction of blocks in use, 0..1. */
    public double usage() {
        return 1.0 - pool.numFree() / (double) pool.numBlocks();
    }

    public int blocksFor(int positions) {
        return (positions + blockSize - 1) / blockSize;
    }

    /** A new, empty sequence cache (holds no blocks until it grows). */
    public SequenceCache newSequence() {
        return new SequenceCache();
    }

    /** One sequence's view of the pool: a block table that grows, and returns its blocks on release. */
    public final class SequenceCache implements KvView {
        private int[] blocks = new int[4];
        private int numBlocks;

        private SequenceCache() {}

        /** Capacity in positions. */
        public int capacity() {
            return numBlocks * blockSize;
        }

        /**
         * Grows the table to hold {@code positions}; all or nothing. Returns false (holding what it
         * held before) when the pool has too few free blocks.
         */
        public boolean reserve(int positions) {
            int need = blocksFor(positions) - numBlocks;
            if (need <= 0) {
                return true;
            }
            if (need > pool.numFree()) {
                return false;
            }
            if (blocks.length < numBlocks + need) {
                blocks = java.util.Arrays.copyOf(blocks, Math.max(blocks.length * 2, numBlocks + need));
            }
            for (int i = 0; i < need; i++) {
                blocks[numBlocks++] = pool.allocate();
            }
            return true;
        }

        /** Returns every block to the pool; the sequence can grow again from nothing. */
        public void release() {
            for (int i = 0; i < numBlocks; i++) {
                pool.release(blocks[i]);
            }
            numBlocks = 0;
        }

        @Override
        public float[] latent(int layer) {
            return cache.latent(layer);
        }

        @Override
        public float[] keyRope(int layer) {
            return cache.keyRope(layer);
        }

        @Override
        public int slot(int pos) {
            return blocks[pos / blockSize] * blockSize + pos % blockSize;
        }
    }
}
