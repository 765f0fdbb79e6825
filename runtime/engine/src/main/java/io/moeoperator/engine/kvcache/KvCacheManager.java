package io.moeoperator.engine.kvcache;

import io.moeoperator.engine.model.KvView;
import io.moeoperator.engine.model.ModelConfig;
import java.lang.foreign.MemorySegment;

/**
 * Hands out paged latent-cache space to sequences. Callers see only {@link SequenceCache} (a
 * {@link KvView} plus capacity and prefix reuse); blocks, the free list, reference counts and the
 * prefix cache stay inside. Used by the engine's step thread only. The cache is native memory:
 * {@link #close()} frees it, after which no sequence may run.
 */
public final class KvCacheManager implements AutoCloseable {
    private final int blockSize;
    private final BlockPool pool;
    private final PagedLatentCache cache;
    private long prefixHitTokens;

    /** Sizes the pool from a memory budget: as many whole blocks as fit ({@link #numBlocksFor}). */
    public KvCacheManager(ModelConfig c, int blockSize, long budgetBytes) {
        this.blockSize = blockSize;
        int numBlocks = numBlocksFor(bytesPerBlock(c, blockSize), blockSize, budgetBytes);
        if (numBlocks < 1) {
            throw new IllegalArgumentException("KV cache budget of " + budgetBytes + " bytes holds no block of "
                    + blockSize + " tokens (" + bytesPerBlock(c, blockSize) + " bytes each for this model)");
        }
        this.pool = new BlockPool(numBlocks);
        this.cache = new PagedLatentCache(c, numBlocks, blockSize);
    }

    /** Bytes of one block of {@code blockSize} cached tokens across all layers. */
    public static long bytesPerBlock(ModelConfig c, int blockSize) {
        return PagedLatentCache.bytesPerToken(c) * blockSize;
    }

    /**
     * Whole blocks a budget holds, as a pool built with it would have: what start-up sizing computes
     * before the cache exists. Rows are addressed by int, so at most {@code Integer.MAX_VALUE / blockSize}.
     */
    public static int numBlocksFor(long bytesPerBlock, int blockSize, long budgetBytes) {
        long numBlocks = Math.max(0, budgetBytes) / bytesPerBlock;
        return (int) Math.min(numBlocks, Integer.MAX_VALUE / blockSize);
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

    /** Fraction of blocks held by sequences, 0..1 (cached blocks nobody holds count as free). */
    public double usage() {
        return pool.numUsed() / (double) pool.numBlocks();
    }

    /** Positions so far that sequences took from the prefix cache instead of computing them. */
    public long prefixHitTokens() {
        return prefixHitTokens;
    }

    public int blocksFor(int positions) {
        return (positions + blockSize - 1) / blockSize;
    }

    /** Read access to a sequence's tokens, for prefix matching. */
    public interface IntSeq {
        /** Tokens {@code [from, from + n)} as a new array. */
        int[] slice(int from, int n);
    }

    /** A new, empty sequence cache (holds no blocks until it grows). */
    public SequenceCache newSequence() {
        return new SequenceCache();
    }

    /** One sequence's view of the pool: a block table that grows, and returns its blocks on release. */
    public final class SequenceCache implements KvView {
        private int[] blocks = new int[4];
        private int numBlocks;
        private int numRegistered; // leading blocks already in the prefix cache
        private long chain;        // prefix hash after the registered blocks

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
            for (int i = 0; i < need; i++) {
                append(pool.allocate());
            }
            return true;
        }

        /**
         * On an empty cache: takes over cached blocks holding the same leading tokens, block by block,
         * and returns how many positions they cover. At most {@code maxTokens} are taken (the caller
         * keeps at least one token to compute, for its logits).
         */
        public int reuseCachedPrefix(IntSeq tokens, int maxTokens) {
            if (numBlocks != 0) {
                throw new IllegalStateException("prefix reuse needs an empty sequence cache");
            }
            long prefix = 0;
            while ((numBlocks + 1) * blockSize <= maxTokens) {
                BlockKey key = new BlockKey(prefix, tokens.slice(numBlocks * blockSize, blockSize));
                int b = pool.acquireCached(key);
                if (b < 0) {
                    break;
                }
                append(b);
                prefix = key.chainHash();
            }
            numRegistered = numBlocks;
            chain = prefix;
            prefixHitTokens += (long) numBlocks * blockSize;
            return numBlocks * blockSize;
        }

        /** Registers the blocks that {@code numComputed} filled completely, so later requests can reuse them. */
        public void registerFullBlocks(IntSeq tokens, int numComputed) {
            while (numRegistered < numComputed / blockSize && numRegistered < numBlocks) {
                BlockKey key = new BlockKey(chain, tokens.slice(numRegistered * blockSize, blockSize));
                pool.register(blocks[numRegistered], key);
                chain = key.chainHash();
                numRegistered++;
            }
        }

        /** Returns every block to the pool; the sequence can grow again from nothing. */
        public void release() {
            for (int i = 0; i < numBlocks; i++) {
                pool.release(blocks[i]);
            }
            numBlocks = 0;
            numRegistered = 0;
            chain = 0;
        }

        private void append(int block) {
            if (blocks.length == numBlocks) {
                blocks = java.util.Arrays.copyOf(blocks, blocks.length * 2);
            }
            blocks[numBlocks++] = block;
        }

        @Override
        public MemorySegment latent(int layer) {
            return cache.latent(layer);
        }

        @Override
        public MemorySegment keyRope(int layer) {
            return cache.keyRope(layer);
        }

        @Override
        public int slot(int pos) {
            return blocks[pos / blockSize] * blockSize + pos % blockSize;
        }
    }

    /** Frees the cache's native memory. */
    @Override
    public void close() {
        cache.close();
    }
}
