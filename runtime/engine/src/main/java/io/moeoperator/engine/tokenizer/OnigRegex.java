package io.moeoperator.engine.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A regex of a tokenizer.json (Hugging Face tokenizers compiles them with Oniguruma, Ruby syntax,
 * UTF-8) translated to java.util.regex, and matched as tokenizers' {@code SysRegex::find_iter}
 * matches it. The two dialects agree on most syntax; where they differ we translate:
 * <ul>
 * <li>{@code \s} is Unicode White_Space in Oniguruma (tab..CR, U+0085, Z*) but ASCII in Java:
 *     written out as that set. {@code \d} is {@code \p{Nd}}; {@code \w} is L, M, N and Pc;
 *     {@code \h} is a hex digit (Java: horizontal space); {@code \v} is U+000B (Java: a class).</li>
 * <li>{@code ^} and {@code $} always match at line starts and ends, and only {@code \n} ends a line
 *     (also for {@code .}): compiled with MULTILINE and UNIX_LINES. Ruby's {@code (?m)} is Java's
 *     {@code (?s)}; {@code (?i)} folds Unicode case, so it becomes {@code (?iu)}. The two fold
 *     alike only for simple foldings, so under {@code (?i)} we accept ASCII literals other than i
 *     (Java, unlike Oniguruma, folds dotless ı and İ onto i) and no run that a single character
 *     folds into (ß folds to ss in Oniguruma, never in Java): enough for Qwen's and Llama 3's
 *     {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)}.</li>
 * <li>{@code {,n}} means {@code {0,n}}; a brace that starts no quantifier is a literal brace.</li>
 * </ul>
 * Anything else that could mean something different in Java (backreferences, \b, \G, \K, \R, \X,
 * POSIX brackets, (?x), \Q, \p{...} names outside the general categories and a few scripts,
 * {@code {n,m}+}) is refused with {@link IllegalArgumentException} rather than approximated.
 */
final class OnigRegex {
    private final Pattern pattern;

    private OnigRegex(Pattern pattern) {
        this.pattern = pattern;
    }

    /** Translates and compiles an Oniguruma pattern; the message of the exception says what is unsupported. */
    static OnigRegex compile(String onig) {
        String java = translate(onig);
        try {
            return new OnigRegex(Pattern.compile(java, Pattern.MULTILINE | Pattern.UNIX_LINES));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("does not compile (as Java regex " + java + "): " + e.getDescription());
        }
    }

    /** A literal (tokenizers' {@code SplitPattern::String}, which it escapes into a regex). */
    static OnigRegex literal(String text) {
        return new OnigRegex(Pattern.compile(Pattern.quote(text)));
    }

    /**
     * The matches in text as [start0, end0, start1, end1, ...], as the onig crate's find_iter
     * yields them: after an empty match the search resumes at the same place, but an empty match
     * right where the previous match ended is skipped by moving one character on.
     */
    int[] findAll(String text) {
        IntList out = new IntList(8);
        Matcher m = pattern.matcher(text);
        int from = 0;
        int lastMatchEnd = -1;
        while (from <= text.length() && m.find(from)) {
            int start = m.start();
            int end = m.end();
            if (start == end && end == lastMatchEnd) {
                from = end < text.length() ? end + Character.charCount(text.codePointAt(end)) : end + 1;
                continue;
            }
            out.add(start);
            out.add(end);
            from = end;
            lastMatchEnd = end;
        }
        return out.toArray();
    }

    String javaPattern() {
        return pattern.pattern();
    }

    /** The java.util.regex form of an Oniguruma (Ruby syntax) pattern; see the class comment. */
    static String translate(String onig) {
        return new OnigTranslator(onig).run();
    }
}
