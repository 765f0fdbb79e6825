package io.moeoperator.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteLevelTest {
    @Test
    void everyByteMapsToADistinctCharacterAndBack() {
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.charOf(b);
            assertEquals(b, ByteLevel.byteOf(c), "byte " + b);
            seen.add(c);
            assertArrayEquals(new byte[] {(byte) b}, ByteLevel.decodeTokenText(String.valueOf(c)));
        }
        assertEquals(256, seen.size());
    }

    @Test
    void matchesGpt2Table() {
        // Printable bytes stand for themselves; the 68 others take U+0100.. in byte order.
        assertEquals('A', ByteLevel.charOf('A'));
        assertEquals('~', ByteLevel.charOf('~'));
        assertEquals('\u00A1', ByteLevel.charOf(0xA1));
        assertEquals('\u0100', ByteLevel.charOf(0x00));
        assertEquals('\u010A', ByteLevel.charOf('\n')); // 'Ċ'
        assertEquals('\u0120', ByteLevel.charOf(' ')); // 'Ġ'
        assertEquals('\u0121', ByteLevel.charOf(0x7F));
        assertEquals('\u0142', ByteLevel.charOf(0xA0));
        assertEquals('\u0143', ByteLevel.charOf(0xAD));
    }

    @Test
    void encodeThenDecodeIsIdentityOnAllBytes() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        assertArrayEquals(all, ByteLevel.decodeTokenText(ByteLevel.encode(all)));
    }

    @Test
    void characterOutsideTableDecodesLikeLlamaCpp() {
        // llama_decode_text: "[UNK_BYTE_0x" + utf-8 hex of the character + whole token text + "]".
        String text = "a\u4E00";
        String expected = "a[UNK_BYTE_0xe4b880a\u4E00]";
        assertEquals(expected, new String(ByteLevel.decodeTokenText(text), StandardCharsets.UTF_8));
    }
}
