package io.moeoperator.engine.kvcache;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Fixed-size KV blocks with reference counts, a free list and a prefix cache. A full block can be
 * registered under a {@link BlockKey}; when its last user lets go it stays findable in an LRU of
 * evictable blocks until a new allocation needs the space. Not thread-safe: the engine's step thread
 * owns it.
 */
final class BlockPool {
    private final int[] refCounts;
    private final BlockKey[] keys;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final LinkedHashSet<Integer> evictable = new LinkedHashSet<>(); // unused but cached, oldest first
    private final Map<BlockKey, Integer> cached = new HashMap<>();

    BlockPool(int numBlocks) {
        refCounts = new int[numBlocks];
        keys = new BlockKey[numBlocks];
        for (int b = 0; b < numBlocks; b++) {
            free.add(b);
        }
    }

    int numBlocks() {
        return refCounts.length;
    }

    /** Blocks an allocation can get: free ones and cached ones nobody uses. */
    int numFree() {
        return free.size() + evictable.size();
    }

    /** Blocks some sequence holds. */
    int numUsed() {
        return refCounts.length - numFree();
    }

    /** A block with reference count 1 (evicting the least recently used cached block if needed), or -1. */
    int allocate() {
        Integer b = free.poll();
        if (b == null) {
            var oldest = evictable.iterator();
            if (!oldest.hasNext()) {
                return -1;
            }
            b = oldest.next();
            oldest.remove();
            cached.remove(keys[b]);
            keys[b] = null;
        }
        refCounts[b] = 1;
        return b;
    }

    void release(int block) {
        if (refCounts[block] <= 0) {
            throw new IllegalStateException("block " + block + " released more often than allocated");
        }
        if (--refCounts[block] == 0) {
            if (keys[block] != null) {
                evictable.add(block);
            } else {
                free.add(block);
            }
        }
    }

    /** The cached block holding exactly this content, now also held by the caller; or -1. */
    int acquireCached(BlockKey key) {
        Integer b = cached.get(key);
        if (b == null) {
            return -1;
        }
        if (refCounts[b]++ == 0) {
            evictable.remove(b);
        }
        return b;
    }

    /** Makes a full block findable by its content; the first block registered for a key wins. */
    void register(int block, BlockKey key) {
        if (keys[block] == null && !cached.containsKey(key)) {
            keys[block] = key;
            cached.put(key, block);
        }
    }
}
