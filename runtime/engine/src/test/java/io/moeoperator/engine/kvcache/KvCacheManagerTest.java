package io.moeoperator.engine.kvcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.model.TestConfigs;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KvCacheManagerTest {
    static final ModelConfig C = TestConfigs.SMALL;
    // (32 + 16) floats * 4 bytes * 2 layers = 384 bytes per token; 4-token blocks = 1536 bytes.
    static final long BLOCK_BYTES = 1536;

    @Test
    void poolIsSizedFromTheBudget() {
        KvCacheManager kv = new KvCacheManager(C, 4, BLOCK_BYTES * 10 + 100);
        assertEquals(10, kv.numBlocks());
        assertEquals(0.0, kv.usage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KvCacheManager(C, 4, 1000));
        assertTrue(e.getMessage().contains("holds no block of 4 tokens (1536 bytes each"), e.getMessage());
    }

    @Test
    void reserveIsAllOrNothingAndReleaseReturnsBlocks() {
        KvCacheManager kv = new KvCacheManager(C, 4, BLOCK_BYTES * 5);
        KvCacheManager.SequenceCache a = kv.newSequence();
        KvCacheManager.SequenceCache b = kv.newSequence();
        assertTrue(a.reserve(9));   // 3 blocks
        assertEquals(12, a.capacity());
        assertEquals(0.6, kv.usage(), 1e-9);
        assertFalse(b.reserve(12)); // needs 3, 2 free
        assertEquals(0, b.capacity(), "a failed reserve takes nothing");
        assertTrue(b.reserve(8));
        assertEquals(0, kv.numFreeBlocks());
        a.release();
        assertEquals(3, kv.numFreeBlocks());
        assertTrue(a.reserve(4), "a released sequence can grow again");
    }

    @Test
    void slotsOfDifferentSequencesNeverCollide() {
        KvCacheManager kv = new KvCacheManager(C, 4, BLOCK_BYTES * 8);
        KvCacheManager.SequenceCache a = kv.newSequence();
        KvCacheManager.SequenceCache b = kv.newSequence();
        Set<Integer> used = new HashSet<>();
        // Interleave growth so their blocks interleave in the pool.
        for (int n = 1; n <= 16; n++) {
            assertTrue(a.reserve(n));
            assertTrue(b.reserve(n));
        }
        for (int pos = 0; pos < 16; pos++) {
            assertTrue(used.add(a.slot(pos)), "slot reused");
            assertTrue(used.add(b.slot(pos)), "slot reused");
            assertNotEquals(a.slot(pos), b.slot(pos));
        }
        assertEquals(a.slot(5) + 1, a.slot(6), "positions in one block are consecutive rows");
    }

    /** Tokens 0..n-1 shifted by {@code base}: sequences with the same base share a prefix. */
    static KvCacheManager.IntSeq tokens(int base, int divergeAt) {
        return (from, n) -> {
            int[] t = new int[n];
            for (int i = 0; i < n; i++) {
                t[i] = from + i < divergeAt ? base + from + i : 1000 + from + i;
            }
            return t;
        };
    }

    @Test
    void fullBlocksAreReusedBehindTheSamePrefixOnly() {
        KvCacheManager kv = new KvCacheManager(C, 4, BLOCK_BYTES * 8);
        KvCacheManager.SequenceCache a = kv.newSequence();
        assertTrue(a.reserve(12));
        a.registerFullBlocks(tokens(0, 99), 10); // two full blocks computed so far
        a.registerFullBlocks(tokens(0, 99), 12); // now the third
        KvCacheManager.SequenceCache b = kv.newSequence();
        assertEquals(8, b.reuseCachedPrefix(tokens(0, 9), 20), "blocks 0 and 1 match; block 2 diverges at 9");
        assertEquals(a.slot(5), b.slot(5), "b reads a's block");
        assertEquals(3, kv.numBlocks() - kv.numFreeBlocks(), "shared blocks count once");
        KvCacheManager.SequenceCache other = kv.newSequence();
        assertEquals(0, other.reuseCachedPrefix(tokens(50, 99), 20), "another prefix matches nothing");
        // The same tokens behind a different first block do not match either.
        KvCacheManager.IntSeq shifted = (from, n) -> from == 0 ? new int[] {9, 9, 9, 9} : tokens(0, 99).slice(from, n);
        assertEquals(0, kv.newSequence().reuseCachedPrefix(shifted, 20));
        assertEquals(8, kv.prefixHitTokens());
    }

    @Test
    void releasedBlocksStayFindableUntilSpaceIsNeeded() {
        KvCacheManager kv = new KvCacheManager(C, 4, BLOCK_BYTES * 4);
        KvCacheManager.SequenceCache a = kv.newSequence();
        assertTrue(a.reserve(8));
        a.registerFullBlocks(tokens(0, 99), 8);
        a.release();
        assertEquals(0.0, kv.usage(), "cached blocks nobody holds are free space");
        KvCacheManager.SequenceCache b = kv.newSequence();
        assertEquals(4, b.reuseCachedPrefix(tokens(0, 99), 7), "at most maxTokens, in whole blocks");
        b.release();
        KvCacheManager.SequenceCache hog = kv.newSequence();
        assertTrue(hog.reserve(16), "allocation evicts cached blocks when nothing else is free");
        hog.release();
        assertEquals(0, kv.newSequence().reuseCachedPrefix(tokens(0, 99), 8), "evicted blocks are gone");
    }
}
