package io.moeoperator.engine.oracle;

import io.moeoperator.engine.tokenizer.BpeTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Texts for tokenizer parity: hand-written ones for each kind of text a tokenizer meets (prose in
 * many scripts, code with indentation and brackets, numbers, emoji, combining marks, unusual
 * whitespace, special tokens written in the text), the engine's training corpus line by line, and
 * seeded random mixtures of the characters where pre-tokenizer regexes decide most.
 */
public final class TokenizerCorpus {
    public static final List<String> HAND_WRITTEN = List.of(
            "The quick brown fox jumps over the lazy dog. It's the model's job; we'll see what they've done.",
            "I'M SHOUTING, you're whispering, He'd've LIKED it. O'Brien's café isn't open 'til 9.",
            "Hello, world! 你好，世界。模型由许多专家组成，每个词元只经过其中两三个专家。",
            "日本語のテキストとカタカナ、ひらがな。トークナイザーは文章を数字の列に変換します。",
            "한국어 텍스트도 있습니다. 서버는 요청을 받으면 먼저 프롬프트를 토큰으로 나눕니다.",
            "Ünïcödé àccents: café, naïve, façade, ÀÉÎÕÜ ñ ß ø å; Привет, мир! Ελληνικά; مرحبا بالعالم; नमस्ते; สวัสดี",
            "def f(x):\n    \"\"\"Square.\"\"\"\n    return x**2  # comment\n\n\nclass A:\n\tdef g(self, *args, **kw):\n\t\treturn [a for a in args if a]\n",
            "public static void main(String[] args) {\n    for (int i = 0; i < n; i++) {\n        map.put(k, v -> v + 1);\n    }\n    return a != b && c <= d || e >= f;\n}\n",
            "if (x == y) { z = x << 2 >> 1 >>> 3; } else if (!(a ^ b)) { y += ~z % 4; } // ok?\r\n",
            "numbers 1234567 3.14159 1,000,000 0.000001 -42 +7 1e-10 ١٢٣٤ ²³ ½ Ⅻ 2024-05-17T12:45:00Z",
            "12345678901234567890123456789 9999999.9999999 007 0x1F 0b1010",
            "emoji 😀🎉👍🏽 family 👨\u200D👩\u200D👧\u200D👦 flags 🇩🇪🇯🇵 🏳️\u200D🌈 ❤️ ✅ keycap 1️⃣ #️⃣",
            "combining e\u0301 a\u0300 o\u0308\u0304 and precomposed é à ȫ; Hangul jamo \u1100\u1161\u11A8",
            "tabs\tand\nnewlines\r\n\n   spaces  \t\t \n\n\n    indented\n",
            "non-breaking\u00A0space, ideographic\u3000space, zero\u200Bwidth, nel\u0085x, line\u2028sep, para\u2029x,"
                    + " thin\u2009space, narrow\u202Fnbsp, mongolian\u180Evs, bom\uFEFFx, ogham\u1680x",
            "math ∑∫√∞ ≠ ≤ ≥ ± × ÷ → ⇒ ∀x∃y; currency $5 €6 £7 ¥8 ₹9; ~tilde ~~ ~/path `tick` ^caret |pipe|",
            "<｜begin▁of▁sentence｜>You are helpful.<｜User｜>Hi there<｜Assistant｜>Hello!<｜end▁of▁sentence｜>",
            "<｜User｜>What is 2+2?<｜Assistant｜><think>\nsimple\n</think>\n4<｜end▁of▁sentence｜>",
            "text<｜begin▁of▁sentence｜>glued<｜end▁of▁sentence｜><｜end▁of▁sentence｜> spaced <｜User｜> ",
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
            "almost special: <｜begin▁of▁sentence> <|endoftext|> <s> </s> [INST] <<SYS>>",
            "   leading and trailing spaces   ",
            "\n\n\nonly newlines before\n\n",
            "a",
            " ",
            "",
            "mixed中文English混合123abc한글カタカナ",
            "URL https://example.com/path?q=1&r=two#frag email a.b@c.de @user #tag",
            "JSON {\"a\": [1, 2.5, null, true], \"b\": {\"c\": \"d\"}} YAML key: value\n  - item\n",
            "Long word: Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism",
            "Repeated!!!??? ...... ---- ==== **** ____ #### $$$$ %%%% &&&& (((( )))) [[[[ ]]]]",
            "Quotes “curly” ‘single’ «guillemets» „low“ 「かぎ」 『二重』 【角】 — en – dash … ellipsis",
            "Apostrophes: don't DON'T don’t it’s rock'n'roll 'quoted' ''double'' '''triple'''",
            "Full-width ＡＢＣ１２３！？ half-width ｱｲｳ and ideographic punctuation 、。「」");

    private TokenizerCorpus() {}

    /** The hand-written texts, the training corpus's lines, and count seeded random mixtures. */
    public static List<String> all(int numRandom, long seed) {
        List<String> texts = new ArrayList<>(HAND_WRITTEN);
        for (String line : BpeTrainer.DEFAULT_CORPUS.split("\n")) {
            if (!line.isBlank()) {
                texts.add(line);
            }
        }
        texts.addAll(random(numRandom, seed));
        return texts;
    }

    /** Characters where regex classes, whitespace handling and byte merges meet. */
    private static final String[] PIECES = {
        " ", "  ", "\t", "\n", "\r\n", "\n\n", "\u00A0", "\u3000", "\u2009", "\u0085",
        "a", "Z", "the", "The", "ing", "'s", "'re", "'LL", "é", "e\u0301", "ß", "Ж", "λ", "ا", "क", "ก",
        "0", "7", "42", "123", "4567", "3.14", "١", "²", "½",
        ".", ",", "!", "?", ";", ":", "'", "\"", "(", ")", "[", "]", "{", "}", "<", ">", "=", "+", "-",
        "*", "/", "\\", "|", "&", "^", "~", "`", "@", "#", "$", "%", "_",
        "中", "文", "龥", "ぁ", "ア", "ー", "한", "、", "。", "！", "？", "（", "）", "，",
        "😀", "👍🏽", "👨\u200D👩\u200D👧", "🇩🇪", "❤️", "\u200B", "\u200D", "\uFEFF", "𝔘", "𠀀",
        // Letters of Unicode 15 and 16 (Kawi, Garay, Latin): the regex engines' tables must agree.
        "\uD807\uDF04", "\uD803\uDD4A", "\uA7CB"};

    public static List<String> random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + r.nextInt(24);
            for (int k = 0; k < len; k++) {
                sb.append(PIECES[r.nextInt(PIECES.length)]);
            }
            out.add(sb.toString());
        }
        return out;
    }
}
