package io.moeoperator.engine.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text as Hugging Face tokenizers 0.23 does ({@code AddedVocabulary::
 * find_matches}): scanning left to right, the leftmost token wins and, among those starting there,
 * the longest (its daachorse automaton is leftmost-longest); the scan goes on after that match.
 * A match is then dropped if it is a special token and specials are not parsed, or a single_word
 * token inside a word; lstrip and rstrip tokens swallow the whitespace beside them. Note that
 * this differs from llama.cpp's rule (longest token first, anywhere in the text) only when tokens
 * overlap in the text.
 */
final class AddedTokenMatcher {
    /** One entry of tokenizer.json's added_tokens. */
    record AddedToken(int id, String content, boolean special, boolean normalized, boolean lstrip,
                      boolean rstrip, boolean singleWord) {}

    /** Receives the pieces of a text: tokens found, and the text between them. */
    interface PieceSink {
        void token(int id);

        void text(int start, int end);
    }

    /**
     * A trie of the patterns (the content, or its normalized form for a normalized token), so that
     * finding a match costs the length of the longest pattern per position however many tokens
     * share a first character (DeepSeek-V3's 800 all start with '<').
     */
    private static final class Node {
        final Map<Character, Node> next = new HashMap<>(4);
        /** The index of the token whose pattern ends here, or -1. */
        int token = -1;
    }

    private final List<AddedToken> tokens;
    private final Node root = new Node();

    AddedTokenMatcher(List<AddedToken> tokens, List<String> patterns) {
        this.tokens = List.copyOf(tokens);
        for (int k = 0; k < patterns.size(); k++) {
            Node n = root;
            for (char c : patterns.get(k).toCharArray()) {
                n = n.next.computeIfAbsent(c, x -> new Node());
            }
            n.token = k;
        }
    }

    boolean isEmpty() {
        return tokens.isEmpty();
    }

    /** Splits sentence into tokens and the text around them. */
    void split(String sentence, boolean parseSpecial, PieceSink sink) {
        int startOffset = 0;
        int pos = 0;
        int[] match = new int[2];
        while (pos < sentence.length()) {
            int k = find(sentence, pos, match);
            if (k < 0) {
                break;
            }
            int start = match[0];
            int stop = match[1];
            pos = stop;
            AddedToken t = tokens.get(k);
            if (t.special() && !parseSpecial) {
                continue;
            }
            if (t.singleWord()) {
                boolean startSpace = start == 0 || !isWordChar(sentence.codePointBefore(start));
                boolean stopSpace = stop == sentence.length() || !isWordChar(sentence.codePointAt(stop));
                if (!startSpace || !stopSpace) {
                    continue;
                }
            }
            if (t.lstrip()) {
                int newStart = start;
                while (newStart > 0 && PreTokenizer.isUnicodeWhitespace(sentence.codePointBefore(newStart))) {
                    newStart -= Character.charCount(sentence.codePointBefore(newStart));
                }
                // The previous match may already have taken those spaces.
                start = Math.max(newStart, startOffset);
            }
            if (t.rstrip()) {
                while (stop < sentence.length() && PreTokenizer.isUnicodeWhitespace(sentence.codePointAt(stop))) {
                    stop += Character.charCount(sentence.codePointAt(stop));
                }
            }
            if (startOffset < start) {
                sink.text(startOffset, start);
            }
            sink.token(t.id());
            startOffset = stop;
        }
        if (startOffset < sentence.length()) {
            sink.text(startOffset, sentence.length());
        }
    }

    /** The leftmost-longest match at or after from: its token index, with [start, end) in match. */
    private int find(String s, int from, int[] match) {
        for (int i = from; i < s.length(); i++) {
            int found = -1;
            Node n = root;
            for (int j = i; j < s.length() && (n = n.next.get(s.charAt(j))) != null; j++) {
                if (n.token >= 0) {
                    found = n.token;
                    match[1] = j + 1;
                }
            }
            if (found >= 0) {
                match[0] = i;
                return found;
            }
        }
        return -1;
    }

    /** Rust regex's Unicode \w: Alphabetic, marks, decimal digits, connector punctuation, joiners. */
    private static boolean isWordChar(int cp) {
        int t = Character.getType(cp);
        return Character.isAlphabetic(cp) || t == Character.NON_SPACING_MARK || t == Character.ENCLOSING_MARK
                || t == Character.COMBINING_SPACING_MARK || t == Character.DECIMAL_DIGIT_NUMBER
                || t == Character.CONNECTOR_PUNCTUATION || cp == 0x200C || cp == 0x200D;
    }
}
