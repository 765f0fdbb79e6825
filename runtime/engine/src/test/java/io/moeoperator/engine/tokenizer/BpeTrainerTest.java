package io.moeoperator.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {
    private static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    @Test
    void trainingIsDeterministic() {
        // 1024 tokens is also a size the built-in corpus must support (it yields about 1,190 merges).
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
        // '\t', '\n', '\r', then ' ' .. '~', as GPT-2 byte characters.
        assertEquals("\u0109", v.tokens().get(0));
        assertEquals("\u010A", v.tokens().get(1));
        assertEquals("\u010D", v.tokens().get(2));
        assertEquals("\u0120", v.tokens().get(3));
        assertEquals("!", v.tokens().get(4));
        assertEquals("~", v.tokens().get(97));
        assertEquals(SPECIALS, v.tokens().subList(509, 512));
        for (int id = 0; id < 512; id++) {
            assertEquals(id >= 509 ? TokenType.CONTROL : TokenType.NORMAL, v.tokenTypes().get(id));
        }
        // Every learned token is the result of a merge, and every merge result is a token.
        assertTrue(v.merges().size() >= 512 - 98 - 3);
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
            // Merges make common text shorter than one token per byte.
            assertTrue(t.encode(BpeTrainer.DEFAULT_CORPUS, false, false).length
                    < BpeTrainer.DEFAULT_CORPUS.length() / 2);
        }
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
    void nonAsciiCorpusIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BpeTrainer.train("caf\u00E9 au lait", 200, PreTokenizer.DEFAULT, List.of()));
        assertTrue(e.getMessage().contains("U+00E9 at offset 3"), e.getMessage());
    }

    @Test
    void impossibleSizesAreClearErrors() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 90, PreTokenizer.DEFAULT, SPECIALS));
        assertTrue(small.getMessage().contains("at least 101"), small.getMessage());
        IllegalArgumentException large = assertThrows(IllegalArgumentException.class,
                () -> BpeTrainer.train("tiny corpus", 200, PreTokenizer.DEFAULT, List.of()));
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
