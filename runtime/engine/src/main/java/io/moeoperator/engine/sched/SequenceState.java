package io.moeoperator.engine.sched;

import io.moeoperator.engine.kvcache.KvCacheManager;
import java.util.Arrays;

/**
 * A request as the scheduler sees it: its tokens so far (prompt, then generated), how many of them
 * are in the cache, and its cache. Preemption simply forgets the cache: everything is recomputed
 * from the tokens when the sequence runs again (cached prefix blocks make that cheaper).
 */
public final class SequenceState implements KvCacheManager.IntSeq {
    private final String id;
    private final int promptLength;
    private final int maxTokens;
    private final KvCacheManager.SequenceCache cache;
    private int[] tokens;
    private int length;
    private int numComputed;

    public SequenceState(String id, int[] promptTokens, int maxTokens, KvCacheManager.SequenceCache cache) {
        this.id = id;
        this.promptLength = promptTokens.length;
        this.maxTokens = maxTokens;
        this.cache = cache;
        this.tokens = Arrays.copyOf(promptTokens, promptTokens.length + Math.min(maxTokens, 256));
        this.length = promptTokens.length;
    }

    public String id() {
        return id;
    }

    public int length() {
        return length;
    }

    public int promptLength() {
        return promptLength;
    }

    public int numGenerated() {
        return length - promptLength;
    }

    public int maxTokens() {
        return maxTokens;
    }

    /** Tokens not yet in the cache; their forward pass yields the next token's logits. */
    public int numPending() {
        return length - numComputed;
    }

    public int numComputed() {
        return numComputed;
    }

    public int token(int i) {
        return tokens[i];
    }

    public KvCacheManager.SequenceCache cache() {
        return cache;
    }

    public void append(int token) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[length++] = token;
    }

    @Override
    public int[] slice(int from, int n) {
        return Arrays.copyOfRange(tokens, from, from + n);
    }

    /** The step computed {@code n} more tokens into the cache; blocks it filled become reusable. */
    public void computed(int n) {
        numComputed += n;
        cache.registerFullBlocks(this, numComputed);
    }

    /**
     * Before its first step: takes cached blocks that already hold this sequence's leading tokens,
     * leaving at least one token to compute (its logits are needed).
     */
    void reuseCachedPrefix() {
        if (numComputed == 0) {
            numComputed = cache.reuseCachedPrefix(this, length - 1);
        }
    }

    /** Preempted: the cache is gone, all tokens will be recomputed. */
    void forgetCache() {
        cache.release();
        numComputed = 0;
    }
}
