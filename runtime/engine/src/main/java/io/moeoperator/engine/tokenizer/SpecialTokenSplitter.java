package io.moeoperator.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Cuts special tokens out of text before BPE, as llama.cpp's {@code tokenizer_st_partition}: the
 * special tokens (CONTROL, USER_DEFINED and UNKNOWN entries) are tried longest first (by UTF-8
 * length); each one splits every remaining piece of plain text at all its occurrences, left to
 * right. So a longer token wins over a shorter one anywhere in the text, not just where they
 * overlap. Without parseSpecial, CONTROL and UNKNOWN tokens are left as text but USER_DEFINED ones
 * are still cut out: llama.cpp (following Hugging Face tokenizers) always treats added user tokens
 * as units.
 */
final class SpecialTokenSplitter {
    /** A piece of the input: a token id, or (tokenId &lt; 0) plain text [start, end). */
    record Segment(int tokenId, int start, int end) {
        boolean isText() {
            return tokenId < 0;
        }
    }

    private final String[] texts;
    private final TokenType[] types;
    /** Special token ids, longest text first; equal lengths by id (llama.cpp's order is unspecified). */
    private final int[] specialIds;

    SpecialTokenSplitter(String[] texts, TokenType[] types) {
        this.texts = texts;
        this.types = types;
        int[] byteLength = new int[texts.length];
        IntList ids = new IntList(16);
        for (int id = 0; id < texts.length; id++) {
            if (isSpecial(types[id]) && !texts[id].isEmpty()) {
                byteLength[id] = texts[id].getBytes(StandardCharsets.UTF_8).length;
                ids.add(id);
            }
        }
        this.specialIds = IntStream.of(ids.toArray())
                .boxed()
                .sorted(Comparator.<Integer>comparingInt(id -> -byteLength[id]).thenComparingInt(id -> id))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    private static boolean isSpecial(TokenType t) {
        return t == TokenType.CONTROL || t == TokenType.USER_DEFINED || t == TokenType.UNKNOWN;
    }

    List<Segment> split(String text, boolean parseSpecial) {
        List<Segment> segments = new ArrayList<>();
        if (text.isEmpty()) {
            return segments;
        }
        segments.add(new Segment(-1, 0, text.length()));
        for (int id : specialIds) {
            if (!parseSpecial && types[id] != TokenType.USER_DEFINED) {
                continue;
            }
            segments = cutOut(text, segments, id);
        }
        return segments;
    }

    private List<Segment> cutOut(String text, List<Segment> segments, int id) {
        String special = texts[id];
        List<Segment> out = new ArrayList<>(segments.size() + 2);
        for (Segment s : segments) {
            if (!s.isText()) {
                out.add(s);
                continue;
            }
            int from = s.start();
            int at;
            while ((at = indexOfWithin(text, special, from, s.end())) >= 0) {
                if (at > from) {
                    out.add(new Segment(-1, from, at));
                }
                out.add(new Segment(id, at, at + special.length()));
                from = at + special.length();
            }
            if (from < s.end()) {
                out.add(new Segment(-1, from, s.end()));
            }
        }
        return out;
    }

    /** The first occurrence of needle lying wholly inside [from, end), or -1. */
    private static int indexOfWithin(String text, String needle, int from, int end) {
        int at = text.indexOf(needle, from, end);
        return at >= 0 && at + needle.length() <= end ? at : -1;
    }
}
