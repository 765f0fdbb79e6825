package io.moeoperator.engine.model;

import java.util.List;

/**
 * The tokens of one forward pass, as consecutive segments that each continue one sequence. Every
 * matmul runs over all tokens at once; attention runs per segment against that sequence's cache.
 *
 * @param tokens   all token ids, segment after segment
 * @param segments in the order of their tokens
 */
public record ForwardBatch(int[] tokens, List<Segment> segments) {

    /**
     * {@code count} tokens from {@code tokens[start]} that occupy positions {@code startPos..} of the
     * sequence cached in {@code kv} (rows already reserved).
     *
     * @param wantLogits whether the caller samples after this segment's last token
     */
    public record Segment(int start, int count, int startPos, KvView kv, boolean wantLogits) {}

    public ForwardBatch {
        int next = 0;
        for (Segment s : segments) {
            if (s.start() != next || s.count() < 1) {
                throw new IllegalArgumentException("segments must tile the tokens in order; got one at " + s.start()
                        + " of " + s.count() + " tokens where " + next + " was expected");
            }
            next += s.count();
        }
        if (next != tokens.length) {
            throw new IllegalArgumentException("segments cover " + next + " of " + tokens.length + " tokens");
        }
    }

    public int numTokens() {
        return tokens.length;
    }
}
