package io.moeoperator.engine.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words that byte-level BPE then merges inside, one variant per value of
 * GGUF's {@code tokenizer.ggml.pre}. The regex lists are those of llama.cpp b4916
 * ({@code llm_tokenizer_bpe} in llama-vocab.cpp), applied as {@code unicode_regex_split} does:
 * in sequence, each regex splits every current fragment, and both its matches and the unmatched
 * gaps between them become fragments. A regex never sees past its fragment (lookahead and
 * {@code \z} stop at the fragment's end), as with llama.cpp's per-fragment regex iterator.
 *
 * <p>How the patterns relate to llama.cpp's, which run on std::regex:
 * <ul>
 * <li>All patterns run on a "shadow" of the text in which every non-ASCII whitespace character
 *     (U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) is
 *     replaced by U+000B, exactly as llama.cpp does before matching. Java's ASCII-only {@code \s}
 *     then means precisely llama.cpp's whitespace set, and a literal range such as deepseek-llm's
 *     {@code 　-。} cannot match U+3000, as in llama.cpp.</li>
 * <li>llama.cpp matches regexes that use {@code \p{..}} on a "collapsed" copy of the text, where
 *     each non-ASCII code point becomes one placeholder byte for its general category and the
 *     category classes are rewritten to "placeholder or these ASCII characters". Java's {@code \p{L}},
 *     {@code \p{N}}, {@code \p{P}}, {@code \p{M}} and {@code \p{S}} give the same answer for every
 *     code point with one exception in ASCII: llama.cpp's ASCII list for {@code \p{S}} is
 *     {@code $+<=>^`|} and omits '~', so we write {@code \p{S}} as {@code [\p{S}&&[^~]]}. With that, ASCII
 *     text splits exactly as in llama.cpp.</li>
 * <li>Known difference, non-ASCII only: category membership comes from Java's Unicode tables
 *     (Unicode 16 in Java 25) while llama.cpp uses its generated unicode-data.cpp (an earlier
 *     Unicode version); code points assigned or re-categorised in between may split differently.</li>
 * <li>The GPT-2 regex is run by llama.cpp through a hand-written matcher
 *     ({@code unicode_regex_split_custom_gpt2}); the regex below, with the trailing {@code |\s+}
 *     that the hand-written matcher implements, yields the same splits.</li>
 * </ul>
 */
public enum PreTokenizer {
    /** llama.cpp's LLAMA_VOCAB_PRE_TYPE_DEFAULT: used for "default" and when the key is absent. */
    DEFAULT("default",
            "[\\p{P}$+<=>^~|]+",
            Regexes.GPT2,
            "\\p{N}+",
            "[0-9][0-9][0-9]"),
    /** LLAMA_VOCAB_PRE_TYPE_GPT2 (also named phi-2, roberta-bpe and others in llama.cpp). */
    GPT2("gpt-2", Regexes.GPT2),
    /** LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_LLM. */
    DEEPSEEK_LLM("deepseek-llm",
            "[\\r\\n]",
            "\\s?[" + Regexes.DEEPSEEK_LLM_LETTERS + "]+",
            // llama.cpp's lists have U+3000 in this class and the whitespace of U+0800..U+4E00 in
            // the CJK one below, but it cannot match them (see the class comment); leaving them out
            // changes nothing here and keeps the regexes meaning the same in tokenizer.json.
            "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3001}-\\x{3002}]+",
            "\\s+\\z",
            "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}&&[^\\s]]+",
            "\\p{N}+"),
    /** LLAMA_VOCAB_PRE_TYPE_DEEPSEEK3_LLM: digits in groups of up to three, CJK runs, then words. */
    DEEPSEEK_V3("deepseek-v3",
            "\\p{N}{1,3}",
            "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
                    + "|[^\\r\\n\\p{L}\\p{P}" + Regexes.S_LLAMA + "]?[\\p{L}\\p{M}]+"
                    + "| ?[\\p{P}" + Regexes.S_LLAMA + "]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+"
                    + "|\\s+(?!\\S)"
                    + "|\\s+");

    private final String ggufName;
    private final List<String> regexes;
    private final List<Pattern> patterns;

    PreTokenizer(String ggufName, String... regexes) {
        this.ggufName = ggufName;
        this.regexes = List.of(regexes);
        this.patterns = Arrays.stream(regexes).map(Pattern::compile).toList();
    }

    /**
     * The regexes, applied in sequence. Each means the same as Oniguruma regex on the plain text
     * (Hugging Face tokenizers) as it does here on the shadowed text, because \s is Unicode
     * whitespace there and none of the literal ranges holds whitespace: so a tokenizer.json made of
     * one Split per regex, then ByteLevel, splits exactly as this pre-tokenizer does.
     */
    List<String> regexes() {
        return regexes;
    }

    /** The value of {@code tokenizer.ggml.pre} that selects this pre-tokenizer. */
    public String ggufName() {
        return ggufName;
    }

    /**
     * The pre-tokenizer for a {@code tokenizer.ggml.pre} value; null or empty means DEFAULT, as in
     * llama.cpp. llama.cpp accepts "gpt-2" but not "gpt2", and so do we.
     */
    public static PreTokenizer fromGgufName(String name) {
        if (name == null || name.isEmpty()) {
            return DEFAULT;
        }
        for (PreTokenizer p : values()) {
            if (p.ggufName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("tokenizer.ggml.pre '" + name + "' is not supported; supported: "
                + Arrays.stream(values()).map(p -> "'" + p.ggufName + "'").toList()
                + " (or absent, meaning 'default')");
    }

    /** Splits text into words; concatenating the words gives back the text. */
    public List<String> split(String text) {
        int[] bounds = splitBounds(text);
        List<String> words = new ArrayList<>(bounds.length);
        int start = 0;
        for (int end : bounds) {
            words.add(text.substring(start, end));
            start = end;
        }
        return words;
    }

    /** Splits text into words, returned as the end offset (exclusive, in chars) of each word. */
    int[] splitBounds(String text) {
        if (text.isEmpty()) {
            return new int[0];
        }
        String shadow = shadowWhitespace(text);
        int[] ends = {text.length()};
        for (Pattern p : patterns) {
            ends = splitEach(p.matcher(shadow), ends);
        }
        return ends;
    }

    /** Applies one regex to every fragment; matches and the gaps between them become fragments. */
    private static int[] splitEach(Matcher m, int[] ends) {
        IntList out = new IntList(ends.length * 2);
        int start = 0;
        for (int end : ends) {
            // Default region bounds are opaque and anchoring: the regex sees only this fragment.
            m.region(start, end);
            int gapStart = start;
            while (m.find()) {
                if (m.start() == m.end()) {
                    continue;
                }
                if (m.start() > gapStart) {
                    out.add(m.start());
                }
                out.add(m.end());
                gapStart = m.end();
            }
            if (gapStart < end) {
                out.add(end);
            }
            start = end;
        }
        return out.toArray();
    }

    private static String shadowWhitespace(String text) {
        char[] chars = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c > 0x7F && isUnicodeWhitespace(c)) {
                if (chars == null) {
                    chars = text.toCharArray();
                }
                chars[i] = (char) 0x0B;
            }
        }
        return chars == null ? text : new String(chars);
    }

    /** llama.cpp's whitespace set (unicode-data.cpp), which equals Unicode White_Space. */
    static boolean isUnicodeWhitespace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F
                || c == 0x205F || c == 0x3000;
    }

    /** Pattern parts shared by several constants (enum constants cannot refer to static fields). */
    private static final class Regexes {
        /** Java's \p{S} minus '~' (llama.cpp's collapsed \p{S} has only $+<=>^`| in ASCII). */
        static final String S_LLAMA = "[\\p{S}&&[^~]]";

        static final String GPT2 =
                "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

        /**
         * deepseek-llm's letter class, the Unicode cased-letter ranges copied from llama.cpp. Written
         * as escapes: several of these code points (U+1F7D, U+1FBE, U+1FD3, U+1FDB, U+2126, U+212A)
         * change under Unicode normalisation, and a normalised copy would break the ranges.
         */
        static final String DEEPSEEK_LLM_LETTERS = "A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}"
                + "\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}"
                + "\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}"
                + "\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}"
                + "\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}"
                + "\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}"
                + "\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}"
                + "\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}"
                + "\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}"
                + "\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}"
                + "\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}"
                + "\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}"
                + "\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}"
                + "\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}"
                + "\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}"
                + "\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}"
                + "\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}"
                + "\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}";

        private Regexes() {}
    }
}
