package io.moeoperator.engine.tokenizer;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Rewrites an Oniguruma (Ruby syntax) regex as java.util.regex, one construct at a time, keeping
 * track of character classes and of (?i) scopes; see {@link OnigRegex} for what is rewritten and
 * what is refused.
 */
final class OnigTranslator {
    /** Oniguruma's \s: U+0009..U+000D, U+0085 and the Z categories (Zs, Zl, Zp). */
    private static final String SPACE_ITEMS = "\\t\\n\\x{0B}\\f\\r\\x{85}\\p{Z}";
    private static final String WORD_ITEMS = "\\p{L}\\p{M}\\p{N}\\p{Pc}";
    private static final String HEX_ITEMS = "0-9a-fA-F";
    private static final Pattern QUANTIFIER = Pattern.compile("\\{(\\d*)(,(\\d*))?}");
    private static final Map<String, String> SCRIPTS = Map.of("han", "IsHan", "hiragana", "IsHiragana",
            "katakana", "IsKatakana", "hangul", "IsHangul", "latin", "IsLatin", "greek", "IsGreek",
            "cyrillic", "IsCyrillic", "arabic", "IsArabic", "hebrew", "IsHebrew", "thai", "IsThai");

    private final String src;
    private final StringBuilder out = new StringBuilder();
    private int i;
    /** Nesting depth of character classes; 0 outside any. */
    private int classDepth;
    /** Whether (?i) is on, per open group: the last entry is the current scope. */
    private final ArrayDeque<Boolean> ignoreCase = new ArrayDeque<>(List.of(false));
    /** The letters written in a row so far under (?i), to check against multi-character foldings. */
    private final StringBuilder caselessRun = new StringBuilder();

    OnigTranslator(String src) {
        this.src = src;
    }

    String run() {
        while (i < src.length()) {
            int c = src.codePointAt(i);
            i += Character.charCount(c);
            if (ignoreCase.getLast() && classDepth == 0) {
                caseless(c);
            }
            if (c == '\\') {
                escape();
            } else if (classDepth > 0) {
                inClass(c);
            } else {
                outside(c);
            }
        }
        if (classDepth > 0) {
            throw unsupported("an unclosed character class");
        }
        return out.toString();
    }

    private void outside(int c) {
        switch (c) {
            case '[' -> openClass();
            case '(' -> group();
            case ')' -> {
                if (ignoreCase.size() > 1) {
                    ignoreCase.removeLast();
                }
                out.append(')');
            }
            case '{' -> brace();
            default -> out.appendCodePoint(c);
        }
    }

    /** Under (?i): see the class comment for what passes. */
    private void caseless(int c) {
        if (c == '[' || c == '\\' && "pPxu".indexOf(peek()) >= 0) {
            throw unsupported("a character class, property or code point escape under (?i)");
        }
        if (c >= 0x80 || c == 'i' || c == 'I') {
            throw unsupported("'" + Character.toString(c) + "' under (?i), where Oniguruma and Java fold case"
                    + " differently");
        }
        if (!Character.isLetter(c)) {
            caselessRun.setLength(0);
            return;
        }
        caselessRun.append(Character.toLowerCase((char) c));
        for (String folded : List.of("ss", "st", "ff", "fi", "fl")) {
            if (caselessRun.toString().endsWith(folded)) {
                throw unsupported("'" + folded + "' under (?i), which Oniguruma also matches as one character"
                        + " (such as ß or a ligature) and Java does not");
            }
        }
    }

    private void inClass(int c) {
        if (c == '[') {
            if (peek() == ':') {
                throw unsupported("a POSIX bracket expression ([:...:])");
            }
            openClass();
        } else {
            if (c == ']') {
                classDepth--;
            }
            out.appendCodePoint(c);
        }
    }

    private void openClass() {
        classDepth++;
        out.append('[');
        if (peek() == '^') {
            out.append('^');
            i++;
        }
        // A ']' right at the start is a literal in Oniguruma; Java needs it escaped.
        if (peek() == ']') {
            out.append("\\]");
            i++;
        }
    }

    private void group() {
        ignoreCase.addLast(ignoreCase.getLast());
        if (peek() != '?') {
            out.append('(');
            return;
        }
        int start = i - 1;
        i++;
        int k = peek();
        if (k == ':' || k == '=' || k == '!' || k == '>') {
            out.append("(?").appendCodePoint(k);
            i++;
        } else if (k == '<' && (peekAt(1) == '=' || peekAt(1) == '!')) {
            out.append("(?<").appendCodePoint(peekAt(1));
            i += 2;
        } else if (k == '#') {
            int close = src.indexOf(')', i);
            if (close < 0) {
                throw unsupported("an unclosed comment group");
            }
            i = close + 1;
            ignoreCase.removeLast();
        } else if (k == '<') {
            int close = src.indexOf('>', i);
            String name = close < 0 ? "" : src.substring(i + 1, close);
            if (!name.matches("[A-Za-z][A-Za-z0-9]*")) {
                throw unsupported("the group name in " + src.substring(start, Math.min(src.length(), i + 12)));
            }
            out.append("(?<").append(name).append('>');
            i = close + 1;
        } else {
            flags(start);
        }
    }

    /** (?imx-imx) or (?imx-imx:...): Ruby's m is Java's s; i folds Unicode case. */
    private void flags(int start) {
        StringBuilder f = new StringBuilder("(?");
        boolean on = true;
        Boolean caseless = null;
        while (i < src.length() && src.charAt(i) != ')' && src.charAt(i) != ':') {
            char ch = src.charAt(i++);
            switch (ch) {
                case 'i' -> {
                    f.append("iu");
                    caseless = on;
                }
                case 'm' -> f.append('s');
                case '-' -> {
                    f.append('-');
                    on = false;
                }
                default -> throw unsupported("the group (?" + ch + " in " + src.substring(start, Math.min(src.length(), start + 12)));
            }
        }
        if (i >= src.length()) {
            throw unsupported("an unclosed group");
        }
        char end = src.charAt(i++);
        out.append(f).append(end);
        if (end == ')') {
            // (?i) alone: no group opens; the flag holds to the end of the enclosing one.
            ignoreCase.removeLast();
            if (caseless != null) {
                ignoreCase.removeLast();
                ignoreCase.addLast(caseless);
            }
        } else if (caseless != null) {
            ignoreCase.removeLast();
            ignoreCase.addLast(caseless);
        }
        caselessRun.setLength(0);
    }

    /** A quantifier {n}, {n,}, {,m}, {n,m}; any other brace is a literal. */
    private void brace() {
        Matcher q = QUANTIFIER.matcher(src).region(i - 1, src.length());
        if (!q.lookingAt() || (q.group(1).isEmpty() && (q.group(2) == null || q.group(3).isEmpty()))) {
            out.append("\\{");
            return;
        }
        i = q.end();
        if (peek() == '+') {
            // Ruby reads {n,m}+ as a repetition of a repetition; Java as possessive.
            throw unsupported("an interval followed by '+' (" + q.group() + "+)");
        }
        out.append('{').append(q.group(1).isEmpty() ? "0" : q.group(1));
        if (q.group(2) != null) {
            out.append(',').append(q.group(3));
        }
        out.append('}');
    }

    private void escape() {
        if (i >= src.length()) {
            throw unsupported("a trailing backslash");
        }
        int e = src.codePointAt(i);
        i += Character.charCount(e);
        boolean in = classDepth > 0;
        switch (e) {
            case 's' -> out.append(in ? SPACE_ITEMS : "[" + SPACE_ITEMS + "]");
            case 'S' -> out.append("[^" + SPACE_ITEMS + "]");
            case 'w' -> out.append(in ? WORD_ITEMS : "[" + WORD_ITEMS + "]");
            case 'W' -> out.append("[^" + WORD_ITEMS + "]");
            case 'h' -> out.append(in ? HEX_ITEMS : "[" + HEX_ITEMS + "]");
            case 'H' -> out.append("[^" + HEX_ITEMS + "]");
            case 'd' -> out.append("\\p{Nd}");
            case 'D' -> out.append("\\P{Nd}");
            case 'p', 'P' -> property(e == 'P');
            case 'x' -> hex();
            case 'u' -> fixedHex(4, "\\u");
            case 'v' -> out.append("\\x{0B}");
            case 't', 'n', 'r', 'f', 'a', 'e' -> out.append('\\').appendCodePoint(e);
            case 'A', 'z', 'Z' -> {
                if (in) {
                    throw unsupported("\\" + (char) e + " inside a character class");
                }
                out.append('\\').appendCodePoint(e);
            }
            case 'b' -> {
                if (!in) {
                    throw unsupported("\\b (a word boundary)");
                }
                out.append("\\x{08}");
            }
            default -> {
                if (e < 0x80 && Character.isLetterOrDigit(e)) {
                    throw unsupported("the escape \\" + (char) e);
                }
                // An escaped symbol is that symbol, in both dialects.
                out.append("\\x{").append(Integer.toHexString(e)).append('}');
            }
        }
    }

    /** \p{Name}, \p{^Name}, \P{Name}: general categories and a few scripts. */
    private void property(boolean negated) {
        if (peek() != '{') {
            throw unsupported("\\p without braces");
        }
        int close = src.indexOf('}', i);
        if (close < 0) {
            throw unsupported("an unclosed \\p{");
        }
        String name = src.substring(i + 1, close);
        i = close + 1;
        if (name.startsWith("^")) {
            negated = !negated;
            name = name.substring(1);
        }
        String key = name.replace("_", "").replace(" ", "").replace("-", "").toLowerCase(Locale.ROOT);
        String java = key.matches("[lmnpszc][a-z]?") ? generalCategory(key) : SCRIPTS.get(key);
        if (java == null) {
            throw unsupported("the property \\p{" + name + "}");
        }
        out.append(negated ? "\\P{" : "\\p{").append(java).append('}');
    }

    private String generalCategory(String key) {
        String cat = key.length() == 1 ? key.toUpperCase(Locale.ROOT)
                : Character.toUpperCase(key.charAt(0)) + key.substring(1);
        // The categories Java knows are the Unicode ones; a two-letter name Java does not know fails to compile.
        try {
            Pattern.compile("\\p{" + cat + "}");
            return cat;
        } catch (PatternSyntaxException e) {
            return null;
        }
    }

    /** \xHH (one or two digits, ASCII only: above 0x7F Oniguruma means a raw UTF-8 byte) or \x{H...}. */
    private void hex() {
        if (peek() == '{') {
            int close = src.indexOf('}', i);
            String digits = close < 0 ? "" : src.substring(i + 1, close);
            if (!digits.matches("[0-9A-Fa-f]{1,6}")) {
                throw unsupported("the escape \\x{" + digits);
            }
            out.append("\\x{").append(digits).append('}');
            i = close + 1;
            return;
        }
        int end = i;
        while (end < src.length() && end < i + 2 && Character.digit(src.charAt(end), 16) >= 0) {
            end++;
        }
        if (end == i || Integer.parseInt(src.substring(i, end), 16) > 0x7F) {
            throw unsupported("the escape \\x" + src.substring(i, end) + " (a raw byte; write \\x{...} for a code point)");
        }
        out.append("\\x{").append(src, i, end).append('}');
        i = end;
    }

    private void fixedHex(int numDigits, String what) {
        String digits = src.substring(i, Math.min(src.length(), i + numDigits));
        if (!digits.matches("[0-9A-Fa-f]{" + numDigits + "}")) {
            throw unsupported("the escape " + what + digits);
        }
        out.append("\\x{").append(digits).append('}');
        i += numDigits;
    }

    private int peek() {
        return peekAt(0);
    }

    private int peekAt(int ahead) {
        return i + ahead < src.length() ? src.charAt(i + ahead) : -1;
    }

    private IllegalArgumentException unsupported(String what) {
        return new IllegalArgumentException("uses " + what + ", which the engine does not support in a"
                + " tokenizer regex (only constructs that mean the same in Oniguruma and java.util.regex)");
    }
}
