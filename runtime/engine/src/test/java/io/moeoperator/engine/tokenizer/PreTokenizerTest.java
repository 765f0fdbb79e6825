package io.moeoperator.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Expected splits are worked out by hand from llama.cpp's regex lists; each comment says which
 * regex (R1, R2, ...) produced which cut.
 */
class PreTokenizerTest {
    private static final String SAMPLE = "Hello, world!\n\n  foo";

    @Test
    void deepseekV3SplitsDigitsInGroupsOfAtMostThree() {
        // R1 \p{N}{1,3} cuts "1234567" into 123|456|7 before the word regex sees the text.
        assertEquals(List.of("a", "123", "456", "7", "b"), PreTokenizer.DEEPSEEK_V3.split("a1234567b"));
        assertEquals(List.of("x", " ", "12", ".", "5"), PreTokenizer.DEEPSEEK_V3.split("x 12.5"));
    }

    @Test
    void deepseekV3Words() {
        // R3: "Hello" letters; "," punctuation (no letter after it, so not the "[punct][A-Za-z]+"
        // branch); " world" optional non-letter + letters; "!\n\n" punctuation then [\r\n]*;
        // "  " before "foo": \s+(?!\S) backs off one space; " foo".
        assertEquals(List.of("Hello", ",", " world", "!\n\n", " ", " foo"), PreTokenizer.DEEPSEEK_V3.split(SAMPLE));
        // "[punct][A-Za-z]+" keeps an apostrophe or dot with the letters that follow it.
        assertEquals(List.of("I", "'m", " fine", ".Really"), PreTokenizer.DEEPSEEK_V3.split("I'm fine.Really"));
        // \t is whitespace but not \r or \n, so "\tx" is "optional non-letter + letters".
        assertEquals(List.of("\t", "\tx", "  \n"), PreTokenizer.DEEPSEEK_V3.split("\t\tx  \n"));
    }

    @Test
    void deepseekV3CjkRunsAreSeparateWords() {
        // R2 isolates runs of CJK ideographs, hiragana and katakana.
        assertEquals(List.of("see", " ", "日本語テキスト", " ok"),
                PreTokenizer.DEEPSEEK_V3.split("see 日本語テキスト ok"));
    }

    @Test
    void deepseekV3TreatsTildeAsLlamaCppDoes() {
        // llama.cpp's collapsed \p{S} has no '~' in ASCII, so " ~" is not " ?[\p{P}\p{S}]+": the
        // space is matched alone by \s+ and the '~' is an unmatched gap. With Java's own \p{S} the
        // result would be [" ~"].
        assertEquals(List.of("a", " ", "~"), PreTokenizer.DEEPSEEK_V3.split("a ~"));
        assertEquals(List.of("x", "~", "\n"), PreTokenizer.DEEPSEEK_V3.split("x~\n"));
        // Before a letter, '~' takes the "[punct][A-Za-z]+" branch, which lists it explicitly.
        assertEquals(List.of("~home"), PreTokenizer.DEEPSEEK_V3.split("~home"));
    }

    @Test
    void deepseekV3NonAsciiWhitespaceAndLetters() {
        // U+00A0 is whitespace; the run of four at the end of the text is taken whole by \s+(?!\S).
        assertEquals(List.of("héllo", " wörld", "  \u00A0 "),
                PreTokenizer.DEEPSEEK_V3.split("héllo wörld  \u00A0 "));
    }

    @Test
    void defaultSplitsPunctuationFirstThenGpt2ThenDigits() {
        // R1 cuts out "," and "!"; R2 (GPT-2) on "\n\n  foo": a whitespace run of 4 before "f"
        // gives "\n\n " and " foo".
        assertEquals(List.of("Hello", ",", " world", "!", "\n\n ", " foo"), PreTokenizer.DEFAULT.split(SAMPLE));
        // R1 cuts the apostrophe out before R2 could see "'m"; R3 \p{N}+ then splits " 12345" into
        // " " and "12345"; R4 [0-9]{3} splits that into "123" and "45".
        assertEquals(List.of("I", "'", "m", " ", "123", "45"), PreTokenizer.DEFAULT.split("I'm 12345"));
    }

    @Test
    void gpt2KeepsContractionsAndLeadingSpaces() {
        assertEquals(List.of("I", "'m", " ", " here", "'s", " 12345", " ~~", "\n"),
                PreTokenizer.GPT2.split("I'm  here's 12345 ~~\n"));
        // A single whitespace before a non-space is matched alone (\s+ after \s+(?!\S) fails).
        assertEquals(List.of("\t", "\t", "x"), PreTokenizer.GPT2.split("\t\tx"));
    }

    @Test
    void deepseekLlmAppliesEachRegexToEveryFragment() {
        // R1 isolates each newline; R2 takes " world"; R3 ([!-/:-~] includes letters) re-splits the
        // fragments it is given; R4 \s+$ takes the lone space left before " foo".
        assertEquals(List.of("Hello", ",", " world", "!", "\n", "\n", " ", " foo"),
                PreTokenizer.DEEPSEEK_LLM.split(SAMPLE));
        assertEquals(List.of("a", "1234567", "b"), PreTokenizer.DEEPSEEK_LLM.split("a1234567b"));
    }

    @Test
    void wordsConcatenateToTheInput() {
        String text = "Tabs\tand  spaces, ünïcödé 😀 and 12345678 numbers!!\r\n\u3000end ~";
        for (PreTokenizer p : PreTokenizer.values()) {
            assertEquals(text, String.join("", p.split(text)), p.name());
            assertTrue(p.split(text).stream().noneMatch(String::isEmpty), p.name());
        }
        assertEquals(List.of(), PreTokenizer.DEFAULT.split(""));
    }

    @Test
    void ggufNames() {
        assertEquals(PreTokenizer.DEFAULT, PreTokenizer.fromGgufName(null));
        assertEquals(PreTokenizer.DEFAULT, PreTokenizer.fromGgufName(""));
        assertEquals(PreTokenizer.DEFAULT, PreTokenizer.fromGgufName("default"));
        assertEquals(PreTokenizer.GPT2, PreTokenizer.fromGgufName("gpt-2"));
        assertEquals(PreTokenizer.DEEPSEEK_LLM, PreTokenizer.fromGgufName("deepseek-llm"));
        assertEquals(PreTokenizer.DEEPSEEK_V3, PreTokenizer.fromGgufName("deepseek-v3"));
    }

    @Test
    void unknownNameIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PreTokenizer.fromGgufName("qwen2"));
        assertTrue(e.getMessage().contains("'qwen2'"), e.getMessage());
        assertTrue(e.getMessage().contains("'deepseek-v3'"), e.getMessage());
        // llama.cpp itself rejects "gpt2" as a pre-tokenizer name (it accepts "gpt-2").
        assertThrows(IllegalArgumentException.class, () -> PreTokenizer.fromGgufName("gpt2"));
    }
}
