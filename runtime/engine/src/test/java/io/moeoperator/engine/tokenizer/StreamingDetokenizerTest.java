package io.moeoperator.engine.tokenizer;

import static io.moeoperator.engine.tokenizer.TestVocabs.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingDetokenizerTest {
    /** Byte tokens (id = byte) plus "<|im_end|>" as a CONTROL token with id 256. */
    private final BpeTokenizer tokenizer = withControl();

    @Test
    void holdsBackAMultiByteCharacterUntilComplete() {
        StreamingDetokenizer d = new StreamingDetokenizer(tokenizer);
        // "é" is C3 A9: one token per byte.
        assertEquals("a", d.accept('a'));
        assertEquals("", d.accept(0xC3));
        assertTrue(d.hasPending());
        assertEquals("é", d.accept(0xA9));
        assertFalse(d.hasPending());
    }

    @Test
    void fourByteCharacterSplitOverFourTokens() {
        StreamingDetokenizer d = new StreamingDetokenizer(tokenizer);
        // U+1F600 is F0 9F 98 80.
        assertEquals("", d.accept(0xF0));
        assertEquals("", d.accept(0x9F));
        assertEquals("", d.accept(0x98));
        assertEquals("😀!", d.accept(0x80) + d.accept('!'));
    }

    @Test
    void invalidBytesBecomeReplacementOnlyWhenTheyCannotComplete() {
        StreamingDetokenizer d = new StreamingDetokenizer(tokenizer);
        // 0xFF can never start a character: replaced at once.
        assertEquals("\uFFFD", d.accept(0xFF));
        // C3 could start "é"; the following 'x' shows it will not.
        assertEquals("", d.accept(0xC3));
        assertEquals("\uFFFDx", d.accept('x'));
        // E0 80 is overlong: invalid as soon as the 80 arrives.
        assertEquals("", d.accept(0xE0));
        assertEquals("\uFFFD\uFFFD", d.accept(0x80));
        // A sequence still open at the end is replaced by flush().
        assertEquals("", d.accept(0xE2));
        assertEquals("\uFFFD", d.flush());
        assertFalse(d.hasPending());
        assertEquals("", d.flush());
    }

    @Test
    void controlTokensAreSilentUnlessRendered() {
        assertEquals("", new StreamingDetokenizer(tokenizer).accept(256));
        assertEquals("<|im_end|>", new StreamingDetokenizer(tokenizer, true).accept(256));
    }

    @Test
    void streamedTextEqualsWholeDecode() {
        String text = "Grüße, 世界! 😀👍🏽 done";
        BpeTokenizer t = TestVocabs.byteComplete(PreTokenizer.DEEPSEEK_V3, List.of(), List.of());
        int[] ids = t.encode(text, false, false);
        StreamingDetokenizer d = new StreamingDetokenizer(t);
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            String piece = d.accept(id);
            out.append(piece);
            assertFalse(piece.contains("\uFFFD"), "emitted half a character: " + out);
        }
        out.append(d.flush());
        assertEquals(text, out.toString());
    }

    private static BpeTokenizer withControl() {
        List<String> tokens = new java.util.ArrayList<>();
        for (int i = 0; i < 256; i++) {
            tokens.add(b(i));
        }
        tokens.add("<|im_end|>");
        List<TokenType> types = TestVocabs.normal(tokens.size());
        types.set(256, TokenType.CONTROL);
        return BpeTokenizer.create(tokens, types, List.of(), PreTokenizer.DEFAULT, SpecialTokens.of(-1, -1, false));
    }
}
