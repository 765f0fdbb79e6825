package io.moeoperator.server.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class StrictUtf8Test {
    static byte[] readThrough(byte[] bytes, boolean byteByByte) throws IOException {
        try (InputStream in = new StrictUtf8.Checked(new ByteArrayInputStream(bytes))) {
            if (!byteByByte) {
                return in.readAllBytes();
            }
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int b; (b = in.read()) >= 0; ) {
                out.write(b);
            }
            return out.toByteArray();
        }
    }

    @Test
    void wellFormedTextPassesUnchanged() throws IOException {
        String text = "{\"prompt\":\"ASCII, café, 你好, Привет, 😀👍🏽, \\ud800 as an escape is JSON's business, U+10FFFF: \uDBFF\uDFFF\"}";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(bytes, readThrough(bytes, false));
        assertArrayEquals(bytes, readThrough(bytes, true));
    }

    @Test
    void everyMalformedSequenceIsRefusedAtItsOffset() {
        String[][] cases = {
            // hex after "ab", the message's end
            {"C0AF", "byte 0xC0 at offset 2 starts an overlong encoding"},
            {"C180", "byte 0xC1 at offset 2 starts an overlong encoding"},
            {"E080AF", "byte 0x80 at offset 3 is not a continuation of the character before it"},
            {"F08080AF", "byte 0x80 at offset 3 is not a continuation of the character before it"},
            {"EDA080", "byte 0xA0 at offset 3 is not a continuation of the character before it"},
            {"F4908080", "byte 0x90 at offset 3 is not a continuation of the character before it"},
            {"F5808080", "byte 0xF5 at offset 2 cannot start a character"},
            {"FF", "byte 0xFF at offset 2 cannot start a character"},
            {"80", "byte 0x80 at offset 2 cannot start a character"},
            {"E4BD41", "byte 0x41 at offset 4 is not a continuation of the character before it"},
            {"E4BD", "it ends in the middle of a character"},
        };
        for (String[] c : cases) {
            byte[] bytes = concat("ab".getBytes(StandardCharsets.US_ASCII), HexFormat.of().parseHex(c[0].toLowerCase()));
            for (boolean byteByByte : new boolean[] {false, true}) {
                IOException e = assertThrows(StrictUtf8.MalformedBodyException.class, () -> readThrough(bytes, byteByByte), c[0]);
                assertEquals("the request body is not valid UTF-8: " + c[1], e.getMessage(), c[0]);
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
