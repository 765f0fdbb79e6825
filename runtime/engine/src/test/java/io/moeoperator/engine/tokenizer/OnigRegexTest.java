package io.moeoperator.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The translation of Oniguruma regexes, construct by construct (OnigRegexParityIT checks the
 * results against Hugging Face itself), and what is refused rather than approximated.
 */
class OnigRegexTest {
    private static List<String> split(String pattern, String text) {
        return new HfPreTokenizer(List.of(new HfPreTokenizer.Split(OnigRegex.compile(pattern),
                HfPreTokenizer.Behavior.ISOLATED, false))).split(text);
    }

    @Test
    void whitespaceIsUnicodeWhiteSpace() {
        assertEquals("[\\t\\n\\x{0B}\\f\\r\\x{85}\\p{Z}]+", OnigRegex.translate("\\s+"));
        assertEquals(List.of("a", "\u00A0\u3000\u2028\u0085", "b"), split("\\s+", "a\u00A0\u3000\u2028\u0085b"));
        // Zero-width space and the Mongolian vowel separator are not White_Space.
        assertEquals(List.of("a\u200B\u180Eb"), split("\\s+", "a\u200B\u180Eb"));
        assertEquals("[^\\r\\n[^\\t\\n\\x{0B}\\f\\r\\x{85}\\p{Z}]]", OnigRegex.translate("[^\\r\\n\\S]"));
    }

    @Test
    void linesEndOnlyAtNewlines() {
        // $ matches before every \n (Ruby's multi-line anchors), and \r is no line end.
        assertEquals(List.of("a", " ", "\nb", "  "), split("\\s+$", "a \nb  "));
        assertEquals(List.of("a\r", " ", "\nb"), split(" $", "a\r \nb"));
        assertEquals(List.of("x", "\n", "y"), split("(?m:.)\\z|\\n", "x\ny"));
    }

    @Test
    void escapesThatDifferFromJava() {
        assertEquals("[0-9a-fA-F]+", OnigRegex.translate("\\h+"));
        assertEquals("\\x{0B}", OnigRegex.translate("\\v"));
        assertEquals("a{0,2}", OnigRegex.translate("a{,2}"));
        assertEquals("x\\{", OnigRegex.translate("x{"));
        assertEquals("\\P{L}\\p{Nd}", OnigRegex.translate("\\p{^L}\\d"));
        assertEquals("[\\]a]", OnigRegex.translate("[]a]"));
        assertEquals("\\x{2e}\\x{5c}", OnigRegex.translate("\\.\\\\"));
        assertEquals("(?iu:'s|'t)", OnigRegex.translate("(?i:'s|'t)"));
        assertEquals("\\p{IsHan}+", OnigRegex.translate("\\p{Han}+"));
        assertEquals("\\x{41}\\x{00A0}", OnigRegex.translate("\\x41\\u00A0"));
    }

    @Test
    void matchesAsTheOnigCrateIterates() {
        // An empty match right after a match is skipped; one elsewhere is kept.
        assertArrayEquals(new int[] {0, 1, 2, 2}, OnigRegex.compile("x*").findAll("xa"));
        assertArrayEquals(new int[] {0, 0, 1, 2, 3, 3}, OnigRegex.compile("x*").findAll("axb"));
        assertArrayEquals(new int[] {0, 2}, OnigRegex.literal("a.").findAll("a.ab"));
    }

    @Test
    void refusesWhatWouldMeanSomethingElse() {
        for (String p : List.of("\\bword", "(a)\\1", "\\Gx", "\\K", "\\R", "\\X", "[[:alpha:]]", "(?x) a", "\\Qa\\E",
                "\\p{Greek_Extended}", "a{1,2}+", "\\xFF", "(?i)straße", "(?i:ss)", "(?i)[a-z]", "(?i)fin", "(?i)\\p{L}",
                "[a", "\\")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnigRegex.compile(p), p);
            assertTrue(e.getMessage().startsWith("uses ") || e.getMessage().startsWith("does not compile"), e.getMessage());
        }
        // (?i) ends with its group, and (?-i) turns it off.
        assertEquals("(?iu:s)ss", OnigRegex.translate("(?i:s)ss"));
        assertEquals("(?iu)s(?-iu)ss", OnigRegex.translate("(?i)s(?-i)ss"));
    }
}
