package io.moeoperator.engine.kvcache;

import java.util.ArrayDeque;

/**
 * Fixed-size KV blocks: a free list and a reference count per block. Not thread-safe: only the
 * engine's step thread touches it.
 */
final class BlockPool {
    private final int[] refCounts;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();

    BlockPool(int numBlocks) {
        refCounts = new int[numBlocks];
        for (int b = 0; b < numBlocks; b++) {
            free.add(b);
        }
    }

    int numBlocks() {
        return refCounts.length;
    }

    int numFree() {
        return free.size();
    }

    /** A free block with reference count 1, or -1 when none is left. */
    int allocate() {
        Integer b = free.poll();
        if (b == null) {
            return -1;
        }
        refCounts[b] = 1;
        return b;
    }

    void release(int block) {
        if (refCounts[block] <= 0) {
            throw new IllegalStateException("block " + block + " released more often than allocated");
        }
        if (--refCounts[block] == 0) {
            free.add(block);
        }
    }
}
