package io.moeoperator.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The pre-tokenizer of a tokenizer.json, as Hugging Face tokenizers 0.23 runs it: a sequence of
 * steps, each of which splits every current piece into pieces (empty ones are dropped), ending in
 * the ByteLevel step. ByteLevel's byte-to-character mapping itself is left to {@link BpeMerger},
 * which maps every word it is given; ByteLevel must therefore be the last step (checked by
 * {@link TokenizerJson}), so that every earlier step sees the text itself.
 *
 * <p>A step first lists the pieces of its input as (start, end, isMatch) triples that cover it,
 * as tokenizers' {@code Pattern::find_matches}, then its behavior decides which become pieces
 * ({@code NormalizedString::split}); the code below follows those two functions case by case.
 */
final class HfPreTokenizer {
    /** tokenizers' {@code SplitDelimiterBehavior}: what becomes of the matches. */
    enum Behavior {
        REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

        /** The JSON name ("Isolated", "MergedWithPrevious", ...), or null if there is none such. */
        static Behavior fromJson(String name) {
            for (Behavior b : values()) {
                if (b.name().replace("_", "").equalsIgnoreCase(name)) {
                    return b;
                }
            }
            return null;
        }
    }

    /** One element of the sequence. */
    sealed interface Step permits Split, Digits, ByteLevelSplit {
        /** Appends the pieces of one non-empty piece to out. */
        void split(String piece, List<String> out);
    }

    /** {@code Split}: a regex (or literal) with a behavior, matches and gaps swapped if inverted. */
    record Split(OnigRegex regex, Behavior behavior, boolean invert) implements Step {
        @Override
        public void split(String piece, List<String> out) {
            int[] m = regex.findAll(piece);
            IntList triples = new IntList(m.length * 3 + 3);
            int prev = 0;
            for (int k = 0; k < m.length; k += 2) {
                if (prev != m[k]) {
                    addTriple(triples, prev, m[k], invert);
                }
                addTriple(triples, m[k], m[k + 1], !invert);
                prev = m[k + 1];
            }
            if (prev != piece.length()) {
                addTriple(triples, prev, piece.length(), invert);
            }
            apply(piece, triples, behavior, out);
        }
    }

    /** {@code Digits}: runs of numeric characters (Unicode N*), or each one alone. */
    record Digits(boolean individualDigits) implements Step {
        @Override
        public void split(String piece, List<String> out) {
            IntList triples = new IntList(16);
            int lastOffset = 0;
            for (int b = 0; b < piece.length(); ) {
                int cp = piece.codePointAt(b);
                int next = b + Character.charCount(cp);
                if (isNumeric(cp)) {
                    if (lastOffset < b) {
                        addTriple(triples, lastOffset, b, false);
                    }
                    addTriple(triples, b, next, true);
                    lastOffset = next;
                }
                b = next;
            }
            if (piece.length() > lastOffset) {
                addTriple(triples, lastOffset, piece.length(), false);
            }
            apply(piece, triples, individualDigits ? Behavior.ISOLATED : Behavior.CONTIGUOUS, out);
        }

        /** Rust's {@code char::is_numeric}: general category Nd, Nl or No. */
        private static boolean isNumeric(int cp) {
            int t = Character.getType(cp);
            return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
        }
    }

    /**
     * The splitting half of {@code ByteLevel}: a space in front of every piece that does not start
     * with one if add_prefix_space, then the GPT-2 regex if use_regex (null when not).
     */
    record ByteLevelSplit(boolean addPrefixSpace, OnigRegex regex) implements Step {
        /** tokenizers' ByteLevel regex, the same as GPT-2's. */
        static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

        @Override
        public void split(String piece, List<String> out) {
            String p = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
            if (regex == null) {
                out.add(p);
            } else {
                new Split(regex, Behavior.ISOLATED, false).split(p, out);
            }
        }
    }

    private final List<Step> steps;

    HfPreTokenizer(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    /** Splits a text into the words BPE merges; empty text gives none. */
    List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        if (!text.isEmpty()) {
            pieces.add(text);
        }
        for (Step step : steps) {
            List<String> next = new ArrayList<>(pieces.size() * 2);
            for (String piece : pieces) {
                step.split(piece, next);
            }
            pieces = next;
        }
        return pieces;
    }

    private static void addTriple(IntList t, int start, int end, boolean isMatch) {
        t.add(start);
        t.add(end);
        t.add(isMatch ? 1 : 0);
    }

    /**
     * {@code NormalizedString::split}: the behavior turns the (start, end, isMatch) triples into
     * (start, end, remove) ones; the pieces not removed, and not empty, are the output.
     */
    private static void apply(String piece, IntList triples, Behavior behavior, List<String> out) {
        int n = triples.size() / 3;
        int[] start = new int[n];
        int[] end = new int[n];
        boolean[] remove = new boolean[n];
        int size = 0;
        boolean previousMatch = false;
        if (behavior == Behavior.MERGED_WITH_NEXT) {
            // Folded from the right: a match joins the piece after it, unless a match follows it.
            for (int k = n - 1; k >= 0; k--) {
                boolean isMatch = triples.get(3 * k + 2) == 1;
                if (isMatch && !previousMatch && size > 0) {
                    start[size - 1] = triples.get(3 * k);
                } else {
                    start[size] = triples.get(3 * k);
                    end[size++] = triples.get(3 * k + 1);
                }
                previousMatch = isMatch;
            }
            for (int k = size - 1; k >= 0; k--) {
                emit(piece, start[k], end[k], out);
            }
            return;
        }
        for (int k = 0; k < n; k++) {
            int s = triples.get(3 * k);
            int e = triples.get(3 * k + 1);
            boolean isMatch = triples.get(3 * k + 2) == 1;
            boolean join = switch (behavior) {
                case CONTIGUOUS -> isMatch == previousMatch;
                case MERGED_WITH_PREVIOUS -> isMatch && !previousMatch;
                default -> false;
            };
            if (join && size > 0) {
                end[size - 1] = e;
            } else {
                start[size] = s;
                end[size] = e;
                remove[size++] = behavior == Behavior.REMOVED && isMatch;
            }
            previousMatch = isMatch;
        }
        for (int k = 0; k < size; k++) {
            if (!remove[k]) {
                emit(piece, start[k], end[k], out);
            }
        }
    }

    private static void emit(String piece, int start, int end, List<String> out) {
        if (end > start) {
            out.add(piece.substring(start, end));
        }
    }
}
