package dev.rill.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the split patterns of tokenizer files with java.util.regex, keeping the meaning they
 * have where they come from. Hugging Face's tokenizers run them with Oniguruma and tiktoken with
 * Rust's regex; both read {@code \s}, {@code \d} and {@code \w} as Unicode classes, while Java reads
 * them as ASCII. So the shorthand classes, {@code .}, {@code ^} and {@code $} are rewritten into
 * explicit Unicode properties (the same rewriting Tokenizers.js does for JavaScript):
 * <ul>
 *   <li>{@code \s} = White_Space (so U+0085 is space and U+FEFF is not), {@code \d} = Nd,
 *       {@code \w} = Alphabetic, M, Nd, Pc and the superscript digits and vulgar fractions ² ³ ¹ ¼ ½ ¾;</li>
 *   <li>{@code .} matches everything but {@code \n}; {@code ^} and {@code $} are line anchors (Ruby syntax);</li>
 *   <li>{@code \h} is a hex digit and {@code \v} the vertical tab (they mean something else in Java).</li>
 * </ul>
 * Possessive quantifiers, atomic groups, look-around, {@code (?i:...)} and Unicode properties
 * pass through unchanged. {@code (?i)} folds ASCII letters only: both references do so (in
 * {@code (?i:'s|'t|...)} neither Tokenizers.js nor tiktoken matches the long s of {@code IT'ſ}).
 */
final class OnigRegex {

    private static final String WORD_CHARS = "\\p{IsAlphabetic}\\p{M}\\p{Nd}\\p{Pc}\\u00B2\\u00B3\\u00B9\\u00BC-\\u00BE";
    private static final String WORD = "[" + WORD_CHARS + "]";
    private static final String NOT_WORD = "[^" + WORD_CHARS + "]";
    private static final String HEX = "0-9A-Fa-f";
    private static final Pattern QUANTIFIER = Pattern.compile("\\{(\\d*)(,(\\d*))?}");

    private final String source;
    private final StringBuilder out = new StringBuilder();
    private int i;

    private OnigRegex(String source) {
        this.source = source;
    }

    /**
     * Compiles a tokenizer-file pattern.
     *
     * @throws IllegalArgumentException naming the construct when the pattern is malformed or uses
     *                                  something java.util.regex cannot express
     */
    static Pattern compile(String pattern) {
        String java = toJava(pattern);
        try {
            return Pattern.compile(java);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("split pattern " + quote(pattern) + " is not a valid regular expression: "
                    + e.getDescription() + " (as rewritten for Java: " + quote(java) + ")");
        }
    }

    /** The Java form of an Oniguruma / Rust-regex pattern. */
    static String toJava(String pattern) {
        OnigRegex r = new OnigRegex(pattern);
        r.translate();
        return r.out.toString();
    }

    private void translate() {
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            switch (c) {
                case '\\' -> escape(false);
                case '[' -> characterClass();
                case '.' -> {
                    out.append("[^\\n]");
                    i++;
                }
                case '^' -> {
                    out.append("(?:\\A|(?<=\\n))");
                    i++;
                }
                case '$' -> {
                    out.append("(?=\\n|\\z)");
                    i++;
                }
                case '(' -> group();
                case '{' -> brace();
                case '}' -> {
                    out.append("\\}");
                    i++;
                }
                default -> {
                    out.append(c);
                    i++;
                }
            }
        }
    }

    private void group() {
        if (!source.startsWith("(?", i)) {
            out.append('(');
            i++;
            return;
        }
        for (String keep : new String[]{"(?:", "(?=", "(?!", "(?<=", "(?<!", "(?>"}) {
            if (source.startsWith(keep, i)) {
                out.append(keep);
                i += keep.length();
                return;
            }
        }
        if (source.startsWith("(?#", i)) { // comment: Java has none, drop it
            int end = source.indexOf(')', i);
            if (end < 0) throw bad("unclosed comment group");
            i = end + 1;
            return;
        }
        if (source.startsWith("(?<", i)) { // named group
            int end = source.indexOf('>', i);
            if (end < 0) throw bad("unclosed group name");
            out.append(source, i, end + 1);
            i = end + 1;
            return;
        }
        // Inline options: only i (case) and x (extended) mean the same in both dialects.
        int j = i + 2;
        while (j < source.length() && "ix-".indexOf(source.charAt(j)) >= 0) j++;
        if (j < source.length() && j > i + 2 && (source.charAt(j) == ':' || source.charAt(j) == ')')) {
            out.append(source, i, j + 1);
            i = j + 1;
            return;
        }
        throw bad("group construct " + quote(source.substring(i, Math.min(source.length(), i + 4))) + " is not supported");
    }

    private void brace() {
        var m = QUANTIFIER.matcher(source).region(i, source.length());
        if (m.lookingAt() && (!m.group(1).isEmpty() || m.group(3) != null && !m.group(3).isEmpty())) {
            String min = m.group(1).isEmpty() ? "0" : m.group(1);
            out.append('{').append(min);
            if (m.group(2) != null) out.append(',').append(m.group(3));
            out.append('}');
            i = m.end();
        } else { // not a quantifier: a literal brace in Oniguruma
            out.append("\\{");
            i++;
        }
    }

    private void characterClass() {
        out.append('[');
        i++;
        if (i < source.length() && source.charAt(i) == '^') {
            out.append('^');
            i++;
        }
        if (i < source.length() && source.charAt(i) == ']') { // a leading ] is literal
            out.append("\\]");
            i++;
        }
        while (i < source.length()) {
            char c = source.charAt(i);
            switch (c) {
                case '\\' -> escape(true);
                case ']' -> {
                    out.append(']');
                    i++;
                    return;
                }
                case '[' -> {
                    if (source.startsWith("[:", i)) posixBracket();
                    else characterClass();
                }
                default -> {
                    out.append(c);
                    i++;
                }
            }
        }
        throw bad("unclosed character class");
    }

    private void posixBracket() {
        int end = source.indexOf(":]", i + 2);
        if (end < 0) throw bad("unclosed POSIX bracket");
        String name = source.substring(i + 2, end);
        boolean negated = name.startsWith("^");
        if (negated) name = name.substring(1);
        String fragment = switch (name) {
            case "alpha" -> "\\p{IsAlphabetic}";
            case "alnum" -> "\\p{IsAlphabetic}\\p{Nd}";
            case "digit" -> "\\p{Nd}";
            case "lower" -> "\\p{IsLowercase}";
            case "upper" -> "\\p{IsUppercase}";
            case "space" -> "\\p{IsWhite_Space}";
            case "blank" -> "\\t\\p{Zs}";
            case "punct" -> "\\p{P}\\p{S}";
            case "cntrl" -> "\\p{Cc}";
            case "word" -> WORD_CHARS;
            case "xdigit" -> HEX;
            default -> throw bad("POSIX bracket [:" + name + ":] is not supported");
        };
        out.append(negated ? "[^" + fragment + "]" : fragment);
        i = end + 2;
    }

    private void escape(boolean inClass) {
        if (i + 1 >= source.length()) throw bad("pattern ends with a lone backslash");
        char c = source.charAt(i + 1);
        i += 2;
        switch (c) {
            case 's' -> out.append("\\p{IsWhite_Space}");
            case 'S' -> out.append("\\P{IsWhite_Space}");
            case 'd' -> out.append("\\p{Nd}");
            case 'D' -> out.append("\\P{Nd}");
            case 'w' -> out.append(inClass ? WORD_CHARS : WORD);
            case 'W' -> out.append(NOT_WORD);
            case 'h' -> out.append(inClass ? HEX : "[" + HEX + "]");
            case 'H' -> out.append("[^" + HEX + "]");
            case 'v' -> out.append("\\x0B");
            case 'b' -> out.append(inClass ? "\\x08" : "(?:(?<!" + WORD + ")(?=" + WORD + ")|(?<=" + WORD + ")(?!" + WORD + "))");
            case 'B' -> {
                if (inClass) throw bad("\\B inside a character class");
                out.append("(?:(?<!" + WORD + ")(?!" + WORD + ")|(?<=" + WORD + ")(?=" + WORD + "))");
            }
            case 'Z' -> out.append(inClass ? "Z" : "(?=\\n?\\z)");
            case 'N' -> out.append("[^\\n]");
            case 'O' -> out.append("(?s:.)");
            case 'p', 'P' -> property(c == 'P');
            case 'K', 'g', 'y', 'Y', 'C', 'M' -> throw bad("escape \\" + c + " is not supported");
            default -> out.append('\\').append(c);
        }
    }

    private void property(boolean negated) {
        if (i >= source.length() || source.charAt(i) != '{') { // one-letter form, e.g. \pL
            if (i >= source.length()) throw bad("\\p without a property name");
            out.append(negated ? "\\P" : "\\p").append(source.charAt(i));
            i++;
            return;
        }
        int end = source.indexOf('}', i);
        if (end < 0) throw bad("unclosed \\p{...}");
        String name = source.substring(i + 1, end);
        i = end + 1;
        if (name.startsWith("^")) {
            negated = !negated;
            name = name.substring(1);
        }
        for (String candidate : new String[]{name, "Is" + name, "Is" + name.replace(' ', '_')}) {
            try {
                Pattern.compile("\\p{" + candidate + "}");
                out.append(negated ? "\\P{" : "\\p{").append(candidate).append('}');
                return;
            } catch (PatternSyntaxException ignored) {
                // try the next spelling
            }
        }
        throw bad("Unicode property " + quote(name) + " is unknown");
    }

    private IllegalArgumentException bad(String what) {
        return new IllegalArgumentException("split pattern " + quote(source) + ": " + what);
    }

    private static String quote(String s) {
        return "'" + s + "'";
    }
}
