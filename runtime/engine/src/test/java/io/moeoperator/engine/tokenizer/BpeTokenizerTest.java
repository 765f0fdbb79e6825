package io.moeoperator.engine.tokenizer;

import static io.moeoperator.engine.tokenizer.TestVocabs.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {
    /** Ids 0..3 = a b c d, then merged tokens; the merge ranks decide the splits below. */
    private static BpeTokenizer handMade(List<String> extra, List<String> merges) {
        List<String> tokens = new ArrayList<>(List.of("a", "b", "c", "d"));
        tokens.addAll(extra);
        return BpeTokenizer.create(tokens, TestVocabs.normal(tokens.size()), merges, PreTokenizer.GPT2,
                SpecialTokens.of(-1, -1, false));
    }

    @Test
    void lowestRankMergesFirstNotLeftmost() {
        // "bcd": pairs b+c (rank 1) and c+d (rank 0). Rank order gives b|cd; left-to-right would
        // give bc|d.
        BpeTokenizer t = handMade(List.of("cd", "bc"), List.of("c d", "b c"));
        assertArrayEquals(new int[] {1, 4}, t.encode("bcd", false, false));
        // "abcd" with a+b (rank 1): c+d first, then a+b, giving ab|cd.
        BpeTokenizer t2 = handMade(List.of("cd", "ab"), List.of("c d", "a b"));
        assertArrayEquals(new int[] {5, 4}, t2.encode("abcd", false, false));
    }

    @Test
    void equalRanksMergeLeftmostFirst() {
        // "aaa": both a+a pairs have rank 0; the left one wins: aa|a. "aaaa": aa|aa, then aa+aa.
        BpeTokenizer t = handMade(List.of("aa", "aaaa"), List.of("a a", "aa aa"));
        assertArrayEquals(new int[] {4, 0}, t.encode("aaa", false, false));
        assertArrayEquals(new int[] {5}, t.encode("aaaa", false, false));
        assertArrayEquals(new int[] {5, 4, 0}, t.encode("aaaaaaa", false, false));
    }

    @Test
    void mergeChainsThroughIntermediateTokens() {
        // a+b, then ab+c, then abc+d: one token for the whole word; merges never cross words.
        BpeTokenizer t = handMade(List.of("ab", "abc", "abcd"), List.of("a b", "ab c", "abc d"));
        assertArrayEquals(new int[] {6}, t.encode("abcd", false, false));
        assertArrayEquals(new int[] {4}, t.encode("ab", false, false));
    }

    @Test
    void mergeResultMissingFromVocabularyFallsBackToByteTokens() {
        // The merge a+b exists but "ab" is no token: llama.cpp emits the single-byte tokens.
        BpeTokenizer t = handMade(List.of(), List.of("a b"));
        assertArrayEquals(new int[] {0, 1}, t.encode("ab", false, false));
    }

    @Test
    void byteWithoutTokenIsAClearError() {
        // A vocabulary without byte tokens for 0x80..0xFF (trained ones have all 256; others may not).
        List<String> asciiOnly = new ArrayList<>();
        for (int b = 0; b < 0x80; b++) {
            asciiOnly.add(b(b));
        }
        BpeTokenizer t = BpeTokenizer.create(asciiOnly, TestVocabs.normal(asciiOnly.size()), List.of(),
                PreTokenizer.DEEPSEEK_V3, SpecialTokens.of(-1, -1, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.encode("a naïve idea", false, false));
        assertTrue(e.getMessage().contains("'ï' (U+00EF) at text offset 4"), e.getMessage());
        assertTrue(e.getMessage().contains("0xC3"), e.getMessage());
    }

    @Test
    void asciiAndNonAsciiRoundTripWithByteCompleteVocabulary() {
        String[] texts = {"Hello, world!\n\n  foo", "héllo wörld", "日本語のテキスト",
            "emoji 😀👍🏽 ok", "tabs\tand\r\nCRLF", "ünïcödé\u00A0spaces\u3000here",
            "~!@#$%^&*()_+`-=[]{}|;':\",./<>?", ""};
        for (PreTokenizer pre : PreTokenizer.values()) {
            // Token 256 is "é" (bytes C3 A9), made by one merge.
            BpeTokenizer t = TestVocabs.byteComplete(pre, List.of(b(0xC3) + b(0xA9)),
                    List.of(b(0xC3) + " " + b(0xA9)));
            for (String text : texts) {
                int[] ids = t.encode(text, false, false);
                assertEquals(text, t.decode(ids), pre + " " + text);
            }
            // "é" is one merged token, every other character one token per byte.
            assertArrayEquals(new int[] {'h', 256, 'l'}, t.encode("hél", false, false), pre.name());
        }
    }

    @Test
    void specialTokensAreParsedOnlyWhenAsked() {
        BpeTokenizer t = withSpecials();
        int imEnd = t.tokenId("<|im_end|>");
        int[] parsed = t.encode("hi<|im_end|>", false, true);
        assertArrayEquals(new int[] {'h', 'i', imEnd}, parsed);
        int[] plain = t.encode("hi<|im_end|>", false, false);
        assertEquals("hi<|im_end|>", t.decode(plain));
        assertFalse(contains(plain, imEnd));
        // USER_DEFINED tokens are matched even without parseSpecial, as in llama.cpp.
        int think = t.tokenId("<think>");
        assertArrayEquals(new int[] {think, 'o', 'k'}, t.encode("<think>ok", false, false));
    }

    @Test
    void longerSpecialTokenWinsEverywhere() {
        BpeTokenizer t = withSpecials();
        int pair = t.tokenId("<s><s>");
        int single = t.tokenId("<s>");
        assertArrayEquals(new int[] {pair, single}, t.encode("<s><s><s>", false, true));
        assertArrayEquals(new int[] {'x', single, 'y', pair}, t.encode("x<s>y<s><s>", false, true));
    }

    @Test
    void bosAndEosFollowTheModelFlags() {
        BpeTokenizer noBos = withSpecials();
        assertArrayEquals(new int[] {'h'}, noBos.encode("h", true, false));
        List<String> tokens = byteTokens();
        tokens.add("<s>");
        tokens.add("</s>");
        BpeTokenizer t = BpeTokenizer.create(tokens, types(tokens.size(), TokenType.CONTROL, 256, 257), List.of(),
                PreTokenizer.DEFAULT, SpecialTokens.of(256, 257, true).withAddEos(true));
        assertArrayEquals(new int[] {256, 'h', 257}, t.encode("h", true, false));
        assertArrayEquals(new int[] {'h'}, t.encode("h", false, false));
        assertArrayEquals(new int[] {256, 257}, t.encode("", true, false));
        assertTrue(t.addBos());
    }

    @Test
    void decodeHidesControlTokensButShowsUserDefined() {
        BpeTokenizer t = withSpecials();
        int[] ids = t.encode("<think>hi<|im_end|>", false, true);
        assertEquals("<think>hi", t.decode(ids));
        assertEquals("<think>hi<|im_end|>", t.decode(ids, true));
        assertArrayEquals("<|im_end|>".getBytes(StandardCharsets.UTF_8), t.tokenBytes(t.tokenId("<|im_end|>")));
        assertArrayEquals(new byte[] {' '}, t.tokenBytes(' '));
    }

    @Test
    void endOfGenerationTokensAreDetectedByText() {
        BpeTokenizer t = withSpecials();
        int imEnd = t.tokenId("<|im_end|>");
        int endOfText = t.tokenId("<|endoftext|>");
        int deepseekEnd = t.tokenId("<\uFF5Cend\u2581of\u2581sentence\uFF5C>");
        assertTrue(t.isEndOfGeneration(imEnd));
        assertTrue(t.isEndOfGeneration(endOfText));
        // Declared as NORMAL in the vocabulary; llama.cpp promotes EOG texts to CONTROL.
        assertEquals(TokenType.CONTROL, t.tokenType(endOfText));
        assertEquals("", t.decode(new int[] {endOfText}));
        // No EOT in the metadata: the lowest-id EOT text is taken, here <|im_end|> (declared first).
        assertEquals(imEnd, t.eotId());
        // The DeepSeek sentence end is an EOT candidate only, not on llama.cpp's EOG text list.
        assertFalse(t.isEndOfGeneration(deepseekEnd));
        assertFalse(t.isEndOfGeneration('a'));
    }

    @Test
    void eosAndDeepSeekEndOfSentenceAreEog() {
        List<String> tokens = byteTokens();
        tokens.add("<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>");
        tokens.add("<\uFF5Cend\u2581of\u2581sentence\uFF5C>");
        BpeTokenizer t = BpeTokenizer.create(tokens, types(tokens.size(), TokenType.CONTROL, 256, 257), List.of(),
                PreTokenizer.DEEPSEEK_V3, SpecialTokens.of(256, 257, true));
        assertTrue(t.isEndOfGeneration(257));
        assertEquals(257, t.eotId());
        assertArrayEquals(new int[] {257}, t.endOfGenerationIds());
    }

    @Test
    void lookupsAndErrors() {
        BpeTokenizer t = withSpecials();
        assertEquals(-1, t.tokenId("no such token"));
        assertEquals(b(' '), t.tokenText(' '));
        assertThrows(IllegalArgumentException.class, () -> t.tokenText(t.vocabSize()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.decode(new int[] {-3}));
        assertTrue(e.getMessage().contains("-3"), e.getMessage());
    }

    private static BpeTokenizer withSpecials() {
        List<String> tokens = byteTokens();
        tokens.add("<|im_end|>"); // 256
        tokens.add("<think>"); // 257, user-defined
        tokens.add("<s>"); // 258
        tokens.add("<s><s>"); // 259
        tokens.add("<|endoftext|>"); // 260, declared NORMAL on purpose
        tokens.add("<\uFF5Cend\u2581of\u2581sentence\uFF5C>"); // 261
        List<TokenType> types = types(tokens.size(), TokenType.CONTROL, 256, 258, 259, 261);
        types.set(257, TokenType.USER_DEFINED);
        return BpeTokenizer.create(tokens, types, List.of(), PreTokenizer.DEFAULT, SpecialTokens.of(-1, -1, false));
    }

    private static List<String> byteTokens() {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            tokens.add(b(i));
        }
        return tokens;
    }

    private static List<TokenType> types(int n, TokenType type, int... ids) {
        List<TokenType> types = TestVocabs.normal(n);
        for (int id : ids) {
            types.set(id, type);
        }
        return types;
    }

    private static boolean contains(int[] ids, int id) {
        for (int x : ids) {
            if (x == id) {
                return true;
            }
        }
        return false;
    }
}
