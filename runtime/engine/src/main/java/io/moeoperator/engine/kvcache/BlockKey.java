package io.moeoperator.engine.kvcache;

import java.util.Arrays;

/**
 * A full block's content as the prefix cache knows it: its tokens and a hash of every token before
 * it (the chain), so a block matches only behind the same prefix. The tokens are compared exactly;
 * only the prefix is trusted to its 64-bit hash.
 */
record BlockKey(long prefixHash, int[] tokens) {

    /** The chain value for the next block: mixes this block's tokens into the prefix hash. */
    long chainHash() {
        long h = prefixHash ^ 0x9E3779B97F4A7C15L;
        for (int t : tokens) {
            h = Long.rotateLeft(h ^ t, 27) * 0x94D049BB133111EBL;
        }
        return h ^ (h >>> 31);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockKey k && k.prefixHash == prefixHash && Arrays.equals(k.tokens, tokens);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(prefixHash) * 31 + Arrays.hashCode(tokens);
    }

    @Override
    public String toString() {
        return "BlockKey[" + Long.toHexString(prefixHash) + ", " + tokens.length + " tokens]";
    }
}
