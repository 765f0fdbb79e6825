package io.moeoperator.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {
    private static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    @Test
    void trainingIsDeterministic() {
        // 1024 tokens is also a size the built-in corpus must support.
        TrainedVocab a = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 1024, PreTokenizer.DEEPSEEK_V3, SPECIALS);
        TrainedVocab b = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 1024, PreTokenizer.DEEPSEEK_V3, SPECIALS);
        assertEquals(a, b);
        assertEquals(1024, a.tokens().size());
    }

    @Test
    void layoutIsBaseSymbolsThenMergesThenSpecials() {
        TrainedVocab v = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 512, PreTokenizer.DEEPSEEK_V3, SPECIALS);
        assertEquals(512, v.tokens().size());
        assertEquals(512, v.tokenTypes().size());
        // All 256 bytes, id = byte value, as GPT-2 byte characters.
        for (int b = 0; b < 256; b++) {
            assertEquals(String.valueOf(ByteLevel.charOf(b)), v.tokens().get(b), "byte " + b);
        }
        assertEquals("\u0100", v.tokens().get(0));
        assertEquals("\u010A", v.tokens().get('\n'));
        assertEquals("\u0120", v.tokens().get(' '));
        assertEquals("~", v.tokens().get('~'));
        assertEquals("\u00FF", v.tokens().get(255));
        assertEquals(SPECIALS, v.tokens().subList(509, 512));
        for (int id = 0; id < 512; id++) {
            assertEquals(id >= 509 ? TokenType.CONTROL : TokenType.NORMAL, v.tokenTypes().get(id));
        }
        // Every learned token is the result of a merge, and every merge result is a token.
        assertTrue(v.merges().size() >= 512 - 256 - 3);
        for (String m : v.merges()) {
            assertTrue(v.tokens().contains(m.replace(" ", "")), m);
        }
        // The first merge joins two base symbols.
        assertEquals(3, v.merges().get(0).length(), v.merges().get(0));
    }

    @Test
    void everyAsciiStringRoundTrips() {
        String alphabet = "\t\n\r" + printableAscii();
        for (PreTokenizer pre : PreTokenizer.values()) {
            TrainedVocab v = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 600, pre, SPECIALS);
            int endOfText = v.idOf("<|endoftext|>");
            BpeTokenizer t = v.tokenizer(pre, SpecialTokens.of(endOfText, endOfText, false));
            assertEquals(BpeTrainer.DEFAULT_CORPUS, t.decode(t.encode(BpeTrainer.DEFAULT_CORPUS, false, false)));
            Random random = new Random(42);
            for (int i = 0; i < 200; i++) {
                StringBuilder s = new StringBuilder();
                int len = random.nextInt(40);
                for (int j = 0; j < len; j++) {
                    s.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                assertEquals(s.toString(), t.decode(t.encode(s.toString(), false, false)), pre + " " + s);
            }
            // Merges make common text shorter than one token per byte: here about 0.48 tokens per byte.
            assertTrue(t.encode(BpeTrainer.DEFAULT_CORPUS, false, false).length
                    < BpeTrainer.DEFAULT_CORPUS.getBytes(StandardCharsets.UTF_8).length / 2);
        }
    }

    /** Any valid text, in any script, encodes to tokens and decodes back unchanged, on the smallest vocabulary too. */
    @Test
    void everyUtf8StringRoundTrips() {
        String[] texts = {"caf\u00e9 na\u00efve \u00fcber", "\u4f60\u597d\uff0c\u4e16\u754c", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8",
            "\ud55c\uad6d\uc5b4", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440", "\u0393\u03b5\u03b9\u03ac", "\u0645\u0631\u062d\u0628\u0627", "\u0928\u092e\u0938\u094d\u0924\u0947",
            "\ud83d\ude00\ud83d\udc4d\ud83c\udffd \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67", "e\u0301 \u0301 lone combining mark", "\u0000\u0001\u001b[31m\u007f",
            "\uffff\ufeff\u00a0\u3000", "\ud800\udc00 \udbff\udfff"};
        for (PreTokenizer pre : PreTokenizer.values()) {
            for (int size : new int[] {259, 600}) {
                TrainedVocab v = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, size, pre, SPECIALS);
                BpeTokenizer t = v.tokenizer(pre, SpecialTokens.of(-1, v.idOf("<|endoftext|>"), false));
                for (String text : texts) {
                    assertEquals(text, t.decode(t.encode(text, false, false)), pre + " " + size + " " + text);
                }
            }
        }
        // The larger vocabulary has learned merges inside multi-byte characters from the corpus.
        TrainedVocab v = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 1024, PreTokenizer.DEEPSEEK_V3, SPECIALS);
        assertTrue(v.merges().stream().anyMatch(m -> m.chars().anyMatch(c -> c >= 0x80 && ByteLevel.byteOf((char) c) >= 0x80)),
                "no merge of non-ASCII bytes");
    }

    @Test
    void specialTokensEncodeAsOneId() {
        TrainedVocab v = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 300, PreTokenizer.DEEPSEEK_V3, SPECIALS);
        BpeTokenizer t = v.tokenizer(PreTokenizer.DEEPSEEK_V3, SpecialTokens.of(-1, v.idOf("<|endoftext|>"), false));
        int[] ids = t.encode("<|im_start|>hi<|im_end|>", false, true);
        assertEquals(v.idOf("<|im_start|>"), ids[0]);
        assertEquals(v.idOf("<|im_end|>"), ids[ids.length - 1]);
        assertTrue(t.isEndOfGeneration(v.idOf("<|im_end|>")));
    }

    @Test
    void aNonAsciiCorpusTrainsOnItsUtf8Bytes() {
        // "é" is C3 A9: the first merge joins those two bytes into one token.
        TrainedVocab v = BpeTrainer.train("\u00e9\u00e9 \u00e9\u00e9 \u00e9t\u00e9", 257, PreTokenizer.DEFAULT, List.of());
        assertEquals(ByteLevel.charOf(0xC3) + " " + ByteLevel.charOf(0xA9), v.merges().get(0));
        assertEquals(1, v.tokenizer(PreTokenizer.DEFAULT, SpecialTokens.of(-1, -1, false)).encode("\u00e9", false, false).length);
    }

    @Test
    void anUnpairedSurrogateInTheCorpusIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BpeTrainer.train("caf\ud800 au lait", 300, PreTokenizer.DEFAULT, List.of()));
        assertTrue(e.getMessage().contains("U+D800 at offset 3"), e.getMessage());
    }

    @Test
    void impossibleSizesAreClearErrors() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 258, PreTokenizer.DEFAULT, SPECIALS));
        assertTrue(small.getMessage().contains("at least 259"), small.getMessage());
        IllegalArgumentException large = assertThrows(IllegalArgumentException.class,
                () -> BpeTrainer.train("tiny corpus", 300, PreTokenizer.DEFAULT, List.of()));
        assertTrue(large.getMessage().contains("larger corpus"), large.getMessage());
    }

    private static String printableAscii() {
        StringBuilder s = new StringBuilder();
        for (char c = 0x20; c <= 0x7E; c++) {
            s.append(c);
        }
        return s.toString();
    }
}
