package io.moeoperator.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small, deterministic byte-level BPE trainer for the synthetic demo model. Its base symbols are
 * all 256 bytes (token id = byte value, as GPT-2 byte characters), as in every byte-level BPE, so any
 * UTF-8 text can be encoded and decoded back. Merges are learned from the corpus's UTF-8 bytes as in
 * classic BPE: count adjacent symbol pairs over the pre-tokenized words (weighted by how often each
 * word occurs), merge the most frequent pair (ties: lexicographically smallest left text, then right
 * text), repeat. Special tokens come last, as CONTROL tokens. The same inputs always give the same
 * vocabulary.
 */
public final class BpeTrainer {
    /** A few KB of prose (mostly English, some in other scripts) and code written for this project. */
    public static final String DEFAULT_CORPUS = DefaultCorpus.TEXT;
    /** One per byte value. */
    static final int NUM_BASE_SYMBOLS = 256;

    private BpeTrainer() {}

    /**
     * Trains a vocabulary of exactly vocabSize tokens.
     *
     * @param corpus        training text, any valid Unicode (an unpaired surrogate has no UTF-8 form)
     * @param vocabSize     total tokens: 256 byte tokens + learned merges + special tokens
     * @param pre           the pre-tokenizer the model will declare, so training sees the same words
     * @param specialTokens texts of CONTROL tokens appended at the end (e.g. "&lt;|endoftext|&gt;")
     * @throws IllegalArgumentException if the corpus holds an unpaired surrogate or cannot supply
     *                                  enough merges
     */
    public static TrainedVocab train(String corpus, int vocabSize, PreTokenizer pre, List<String> specialTokens) {
        checkCorpus(corpus);
        List<String> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < NUM_BASE_SYMBOLS; b++) {
            ids.put(String.valueOf(ByteLevel.charOf(b)), tokens.size());
            tokens.add(String.valueOf(ByteLevel.charOf(b)));
        }
        int numNormal = vocabSize - specialTokens.size();
        if (numNormal < tokens.size()) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " is too small: " + tokens.size()
                    + " base symbols and " + specialTokens.size() + " special tokens need at least "
                    + (tokens.size() + specialTokens.size()));
        }
        List<String> merges = learnMerges(corpus, pre, tokens, ids, numNormal);
        List<TokenType> types = new ArrayList<>(vocabSize);
        tokens.forEach(t -> types.add(TokenType.NORMAL));
        for (String special : specialTokens) {
            if (special.isEmpty() || ids.containsKey(special)) {
                throw new IllegalArgumentException("special token '" + special + "' is empty or already a token");
            }
            ids.put(special, tokens.size());
            tokens.add(special);
            types.add(TokenType.CONTROL);
        }
        return new TrainedVocab(tokens, merges, types);
    }

    private static List<String> learnMerges(String corpus, PreTokenizer pre, List<String> tokens,
            Map<String, Integer> ids, int numNormal) {
        // Distinct words as symbol-id sequences, with their counts; a TreeMap keeps the order fixed.
        Map<String, Integer> wordCounts = new TreeMap<>();
        for (String w : pre.split(corpus)) {
            wordCounts.merge(w, 1, Integer::sum);
        }
        List<int[]> words = new ArrayList<>();
        List<Integer> freqs = new ArrayList<>();
        for (var e : wordCounts.entrySet()) {
            byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] symbols = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                symbols[i] = bytes[i] & 0xFF; // byte tokens have id = byte value
            }
            words.add(symbols);
            freqs.add(e.getValue());
        }
        Map<Long, Integer> pairCounts = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
            countPairs(pairCounts, words.get(w), freqs.get(w));
        }
        List<String> merges = new ArrayList<>();
        while (tokens.size() < numNormal) {
            long best = bestPair(pairCounts, tokens);
            if (best < 0) {
                throw new IllegalArgumentException("the corpus yields only " + (tokens.size() - NUM_BASE_SYMBOLS)
                        + " merged tokens (" + merges.size() + " merges), but the requested vocabulary needs "
                        + (numNormal - NUM_BASE_SYMBOLS) + "; use a larger corpus or a smaller vocabSize");
            }
            int left = (int) (best >>> 32);
            int right = (int) best;
            String merged = tokens.get(left) + tokens.get(right);
            Integer mergedId = ids.get(merged);
            if (mergedId == null) {
                mergedId = tokens.size();
                ids.put(merged, mergedId);
                tokens.add(merged);
            }
            merges.add(tokens.get(left) + " " + tokens.get(right));
            for (int w = 0; w < words.size(); w++) {
                int[] old = words.get(w);
                int[] replaced = replacePair(old, left, right, mergedId);
                if (replaced != old) {
                    countPairs(pairCounts, old, -freqs.get(w));
                    countPairs(pairCounts, replaced, freqs.get(w));
                    words.set(w, replaced);
                }
            }
        }
        return merges;
    }

    private static void countPairs(Map<Long, Integer> counts, int[] symbols, int delta) {
        for (int i = 0; i + 1 < symbols.length; i++) {
            long key = pairKey(symbols[i], symbols[i + 1]);
            int c = counts.getOrDefault(key, 0) + delta;
            if (c == 0) {
                counts.remove(key);
            } else {
                counts.put(key, c);
            }
        }
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** The most frequent pair; ties go to the smaller left text, then the smaller right text. */
    private static long bestPair(Map<Long, Integer> counts, List<String> tokens) {
        long best = -1;
        int bestCount = 0;
        for (var e : counts.entrySet()) {
            long key = e.getKey();
            int c = e.getValue();
            if (c > bestCount || (c == bestCount && comparePairs(key, best, tokens) < 0)) {
                best = key;
                bestCount = c;
            }
        }
        return best;
    }

    private static int comparePairs(long a, long b, List<String> tokens) {
        int byLeft = tokens.get((int) (a >>> 32)).compareTo(tokens.get((int) (b >>> 32)));
        return byLeft != 0 ? byLeft : tokens.get((int) a).compareTo(tokens.get((int) b));
    }

    /** Merges every non-overlapping occurrence, left to right; returns the same array if none. */
    private static int[] replacePair(int[] symbols, int left, int right, int merged) {
        int[] out = null;
        int n = 0;
        for (int i = 0; i < symbols.length; i++) {
            if (i + 1 < symbols.length && symbols[i] == left && symbols[i + 1] == right) {
                if (out == null) {
                    out = new int[symbols.length - 1];
                    System.arraycopy(symbols, 0, out, 0, i);
                    n = i;
                }
                out[n++] = merged;
                i++;
            } else if (out != null) {
                out[n++] = symbols[i];
            }
        }
        return out == null ? symbols : Arrays.copyOf(out, n);
    }

    private static void checkCorpus(String corpus) {
        for (int i = 0; i < corpus.length(); i++) {
            char c = corpus.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < corpus.length() && Character.isLowSurrogate(corpus.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(String.format("corpus character U+%04X at offset %d is an unpaired"
                        + " surrogate, which has no UTF-8 bytes to train on", (int) c, i));
            }
        }
    }
}
