package io.moeoperator.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Byte-level BPE for one pre-tokenized word, as llama.cpp's {@code llm_tokenizer_bpe_session}:
 * the word's UTF-8 bytes become one symbol each (in GPT-2 byte characters); then, repeatedly, the
 * adjacent pair with the lowest merge rank is merged, ties going to the leftmost pair; finally each
 * symbol is looked up in the vocabulary. A symbol that is not a token falls back to one token per
 * byte. Symbols live in arrays linked by prev/next indices and candidate pairs in a priority queue,
 * so a word of n bytes costs O(n log n) rather than the O(n^2) of rescanning for the best pair.
 *
 * <p>Hugging Face tokenizers' BPE ({@code Word::merge_all}) is the same algorithm: a min-heap on
 * (rank, position of the left symbol), stale entries skipped. It keys merges by token ids rather
 * than texts, which is the same thing because a vocabulary maps each text to one id.
 */
final class BpeMerger {
    /** A candidate merge of symbols left and right; stale once either symbol has changed. */
    private record Bigram(int rank, int left, int right, int size) {}

    /** Merge rank by "left right" (the merge line itself): symbols never contain a space. */
    private final Map<String, Integer> ranks;
    private final Map<String, Integer> vocab;
    /** Hugging Face's {@code ignore_merges}: a word that is a token as a whole is taken whole. */
    private final boolean ignoreMerges;

    private BpeMerger(Map<String, Integer> ranks, Map<String, Integer> vocab, boolean ignoreMerges) {
        this.ranks = ranks;
        this.vocab = vocab;
        this.ignoreMerges = ignoreMerges;
    }

    /**
     * Builds the rank table from merge lines ("a b", in rank order). Like llama.cpp, a line is split
     * at its first space after position 0, a repeated pair keeps its first (lowest) rank, and a line
     * without such a space names no pair.
     */
    static BpeMerger create(List<String> merges, Map<String, Integer> vocab) {
        Map<String, Integer> ranks = HashMap.newHashMap(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String line = merges.get(rank);
            if (line.indexOf(' ', 1) > 0) {
                ranks.putIfAbsent(line, rank);
            }
        }
        return new BpeMerger(ranks, vocab, false);
    }

    /**
     * A rank table built as Hugging Face tokenizers builds it (see {@code TokenizerJson.merges}):
     * keys "left right", a repeated pair at its last rank, pairs with a space in a side left out.
     */
    static BpeMerger ofRanks(Map<String, Integer> ranks, Map<String, Integer> vocab, boolean ignoreMerges) {
        return new BpeMerger(ranks, vocab, ignoreMerges);
    }

    int numMerges() {
        return ranks.size();
    }

    /** The merges as (left, right) pairs, lowest rank first. */
    List<String[]> pairsInRankOrder() {
        List<Map.Entry<String, Integer>> entries = new ArrayList<>(ranks.entrySet());
        entries.sort(Map.Entry.comparingByValue());
        List<String[]> pairs = new ArrayList<>(entries.size());
        for (var e : entries) {
            String line = e.getKey();
            int space = line.indexOf(' ', 1);
            pairs.add(new String[] {line.substring(0, space), line.substring(space + 1)});
        }
        return pairs;
    }

    boolean ignoresMerges() {
        return ignoreMerges;
    }

    /**
     * Appends the tokens of one word to out.
     *
     * @param word       the word as text
     * @param textOffset where the word starts in the text being encoded, for error messages
     */
    void encodeWord(String word, int textOffset, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        String mapped = ByteLevel.encode(word.getBytes(StandardCharsets.UTF_8));
        if (ignoreMerges) {
            Integer whole = vocab.get(mapped);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        int n = mapped.length();
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            start[i] = i;
            len[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(n, 1),
                (a, b) -> a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            offer(queue, mapped, start, len, i - 1, i);
        }
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            // Symbols only grow, so an unchanged total length means the pair is still the one ranked.
            if (len[b.left] == 0 || len[b.right] == 0 || len[b.left] + len[b.right] != b.size) {
                continue;
            }
            len[b.left] += len[b.right];
            len[b.right] = 0;
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) {
                prev[next[b.right]] = b.left;
            }
            if (prev[b.left] >= 0) {
                offer(queue, mapped, start, len, prev[b.left], b.left);
            }
            if (next[b.left] >= 0) {
                offer(queue, mapped, start, len, b.left, next[b.left]);
            }
        }
        for (int i = 0; i >= 0; i = next[i]) {
            emit(mapped, start[i], len[i], word, textOffset, out);
        }
    }

    private void offer(PriorityQueue<Bigram> queue, String mapped, int[] start, int[] len, int left, int right) {
        String key = mapped.substring(start[left], start[left] + len[left]) + ' '
                + mapped.substring(start[right], start[right] + len[right]);
        Integer rank = ranks.get(key);
        if (rank != null) {
            queue.add(new Bigram(rank, left, right, len[left] + len[right]));
        }
    }

    /**
     * Looks a final symbol up. If it is no token, llama.cpp looks up each byte of the symbol's UTF-8
     * text as a one-byte string: that finds the single-character tokens of ASCII table characters
     * and silently drops every other byte. We emit the same tokens where llama.cpp finds them, and
     * throw where it would drop input.
     */
    private void emit(String mapped, int from, int length, String word, int textOffset, IntList out) {
        Integer id = vocab.get(mapped.substring(from, from + length));
        if (id != null) {
            out.add(id);
            return;
        }
        for (int i = from; i < from + length; i++) {
            char c = mapped.charAt(i);
            Integer byteId = c < 0x80 ? vocab.get(String.valueOf(c)) : null;
            if (byteId == null) {
                throw noTokenForByte(word, textOffset, i, ByteLevel.byteOf(c));
            }
            out.add(byteId);
        }
    }

    private static IllegalArgumentException noTokenForByte(String word, int textOffset, int byteIndex, int b) {
        // Find the character that holds byte number byteIndex of the word's UTF-8 form.
        int charIndex = 0;
        int bytesBefore = 0;
        while (charIndex < word.length()) {
            int cp = word.codePointAt(charIndex);
            int cpBytes = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytesBefore + cpBytes > byteIndex) {
                break;
            }
            bytesBefore += cpBytes;
            charIndex += Character.charCount(cp);
        }
        int cp = word.codePointAt(charIndex);
        return new IllegalArgumentException(String.format(
                "cannot encode character '%s' (U+%04X) at text offset %d: its byte 0x%02X has no token "
                        + "in the vocabulary and no merge covers it (the vocabulary has no byte-level "
                        + "fallback for this byte; llama.cpp would silently drop it)",
                new String(Character.toChars(cp)), cp, textOffset + charIndex, b));
    }
}
