package io.moeoperator.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns generated token ids into text as they arrive. A byte-level token can end in the middle of a
 * multi-byte UTF-8 character (an emoji is often two or three tokens), so bytes are held back until
 * the character is complete; text is never emitted half-decoded. Bytes that cannot start or
 * continue a valid sequence become U+FFFD as soon as that is certain; an incomplete sequence still
 * pending at {@link #flush()} also becomes U+FFFD. Pieces are those of {@link BpeTokenizer#decode},
 * so concatenating everything returned equals decoding all ids at once. Not thread-safe: one per
 * request.
 */
public final class StreamingDetokenizer {
    private final BpeTokenizer tokenizer;
    private final boolean renderSpecial;
    /** Bytes received but not yet returned: always a prefix of one UTF-8 character, at most 3 bytes. */
    private byte[] pending = new byte[0];

    /** Renders CONTROL tokens as nothing, like {@link BpeTokenizer#decode(int[])}. */
    public StreamingDetokenizer(BpeTokenizer tokenizer) {
        this(tokenizer, false);
    }

    public StreamingDetokenizer(BpeTokenizer tokenizer, boolean renderSpecial) {
        this.tokenizer = tokenizer;
        this.renderSpecial = renderSpecial;
    }

    /** Adds one token; returns the text that it completed (possibly empty). */
    public String accept(int tokenId) {
        byte[] piece = tokenizer.piece(tokenId, renderSpecial);
        if (piece.length == 0) {
            return "";
        }
        byte[] bytes = Arrays.copyOf(pending, pending.length + piece.length);
        System.arraycopy(piece, 0, bytes, pending.length, piece.length);
        int complete = completeLength(bytes);
        pending = Arrays.copyOfRange(bytes, complete, bytes.length);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is still held back (as U+FFFD, since it is incomplete) and resets. */
    public String flush() {
        String rest = new String(pending, StandardCharsets.UTF_8);
        pending = new byte[0];
        return rest;
    }

    /** Whether bytes are being held back waiting for the rest of a character. */
    public boolean hasPending() {
        return pending.length > 0;
    }

    /**
     * The length of the longest prefix that can be decoded now: everything except a trailing,
     * still-completable start of a multi-byte sequence.
     */
    static int completeLength(byte[] bytes) {
        // A UTF-8 character is at most 4 bytes, so an incomplete one starts in the last 3.
        for (int start = Math.max(0, bytes.length - 3); start < bytes.length; start++) {
            int need = sequenceLength(bytes[start] & 0xFF);
            int have = bytes.length - start;
            if (need > have && isValidPrefix(bytes, start)) {
                return start;
            }
        }
        return bytes.length;
    }

    /** The length a sequence starting with this byte has; 0 for a byte that cannot start one. */
    private static int sequenceLength(int lead) {
        if (lead < 0x80) {
            return 1;
        }
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        }
        if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        }
        if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        return 0;
    }

    /**
     * Whether bytes[start..] can still grow into a valid character: every continuation byte is
     * 10xxxxxx, and the second byte respects the ranges that exclude overlong forms, surrogates
     * and code points above U+10FFFF (E0: A0..BF, ED: 80..9F, F0: 90..BF, F4: 80..8F).
     */
    private static boolean isValidPrefix(byte[] bytes, int start) {
        int lead = bytes[start] & 0xFF;
        for (int i = start + 1; i < bytes.length; i++) {
            int b = bytes[i] & 0xFF;
            int lo = 0x80;
            int hi = 0xBF;
            if (i == start + 1) {
                switch (lead) {
                    case 0xE0 -> lo = 0xA0;
                    case 0xED -> hi = 0x9F;
                    case 0xF0 -> lo = 0x90;
                    case 0xF4 -> hi = 0x8F;
                    default -> { }
                }
            }
            if (b < lo || b > hi) {
                return false;
            }
        }
        return true;
    }
}
