package io.moeoperator.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible byte-to-character table ("bytes_to_unicode"). Byte-level BPE vocabularies
 * store every token as a string of these characters, one character per raw byte, so that each of
 * the 256 byte values is a printable, non-space character: bytes 0x21..0x7E, 0xA1..0xAC and
 * 0xAE..0xFF stand for themselves; the other 68 bytes map, in increasing order, to U+0100.. U+0143
 * (so a space is 'Ġ' U+0120 and a newline 'Ċ' U+010A). Same table as llama.cpp unicode.cpp
 * {@code unicode_byte_to_utf8_map}.
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by character; -1 where a character stands for no byte. Covers U+0000..U+01FF. */
    private static final short[] CHAR_TO_BYTE = new short[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean selfMapped = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            char c = selfMapped ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteLevel() {}

    public static char charOf(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte];
    }

    /** The byte a character stands for, or -1 if it is not one of the 256 table characters. */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Maps raw bytes to their table characters, one character per byte. */
    static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * Undoes the mapping for a NORMAL token's text. A character outside the table cannot come from
     * the mapping; llama.cpp ({@code llama_decode_text}) then emits
     * {@code "[UNK_BYTE_0x<utf-8 hex of the char>" + <whole token text> + "]"}, and so do we, so
     * that pieces agree byte for byte with the oracle even for odd vocabularies.
     */
    static byte[] decodeTokenText(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            int b = cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1;
            if (b >= 0) {
                out.write(b);
                continue;
            }
            StringBuilder unk = new StringBuilder("[UNK_BYTE_0x");
            for (byte u : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                unk.append(String.format("%02x", u & 0xFF));
            }
            unk.append(text).append(']');
            out.writeBytes(unk.toString().getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    /**
     * Hugging Face tokenizers' ByteLevel decoder for one token: if every character of the text is
     * one of the 256 table characters, the bytes they stand for; otherwise the text's own UTF-8
     * (so an added token such as "&lt;｜User｜&gt;" renders as itself, while one made only of table
     * characters, such as "&lt;|endoftext|&gt;", also renders as itself because printable ASCII
     * maps to itself).
     */
    static byte[] decodeHf(String text) {
        byte[] out = new byte[text.length()];
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                return text.getBytes(StandardCharsets.UTF_8);
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
