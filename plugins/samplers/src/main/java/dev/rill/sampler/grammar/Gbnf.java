package dev.rill.sampler.grammar;

import dev.rill.sampler.grammar.Grammar.Chars;
import dev.rill.sampler.grammar.Grammar.Element;
import dev.rill.sampler.grammar.Grammar.Ref;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses GBNF, llama.cpp's grammar format: {@code name ::= alternatives} rules, one per line (a rule
 * continues on the next line inside parentheses, or when the next line starts with {@code |});
 * string literals {@code "..."}, character classes {@code [a-z]}, {@code [^"\\]}, {@code .} (any
 * character), rule references, groups {@code ( )}, alternation {@code |}, repetition {@code * + ?}
 * and {@code {m}}, {@code {m,}}, {@code {m,n}}; escapes {@code \n \r \t \\ \" \[ \] \xHH \\uHHHH
 * \UHHHHHHHH}; comments from {@code #} to the end of the line. Parsing starts at {@code root}.
 */
final class Gbnf {

    /** Repetition bounds above this would only blow up the grammar; nobody means them. */
    static final int MAX_REPEAT = 10_000;

    private final String src;
    private final Grammar.Builder rules = new Grammar.Builder();
    private int pos;
    private int line = 1;

    private Gbnf(String src) {
        this.src = src;
    }

    static Grammar parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("the grammar is empty; it needs at least a root rule");
        Gbnf p = new Gbnf(text);
        p.grammar();
        return p.rules.build(text, "root");
    }

    private void grammar() {
        skip(true);
        while (pos < src.length()) {
            rule();
            skip(true);
        }
    }

    private void rule() {
        int at = line;
        String name = name();
        if (name.isEmpty()) throw error("expected a rule name");
        skip(false);
        if (!src.startsWith("::=", pos)) throw error("expected '::=' after rule name '" + name + "'");
        pos += 3;
        skip(true);
        int r = rules.rule(name);
        List<List<Element>> alts = alternatives(name, false);
        rules.define(r, alts, at);
        if (pos < src.length()) {
            if (peek() == '\r') pos++;
            if (peek() != '\n') throw error("expected the end of the line after rule '" + name + "'");
        }
    }

    private List<List<Element>> alternatives(String ruleName, boolean nested) {
        List<List<Element>> alts = new ArrayList<>();
        alts.add(sequence(ruleName, nested));
        while (true) {
            if (peek() == '|') {
                pos++;
                skip(true);
                alts.add(sequence(ruleName, nested));
                continue;
            }
            if (!nested && continuesOnNextLine()) continue;
            return alts;
        }
    }

    /** At a top-level line end: whether the next non-blank, non-comment line starts with '|' (then consumed up to it). */
    private boolean continuesOnNextLine() {
        int save = pos, saveLine = line;
        skip(true);
        if (peek() == '|') return true;
        pos = save;
        line = saveLine;
        return false;
    }

    private List<Element> sequence(String ruleName, boolean nested) {
        List<Element> seq = new ArrayList<>();
        int symbolStart = -1;
        while (pos < src.length()) {
            char c = peek();
            if (c == '"') {
                pos++;
                symbolStart = seq.size();
                while (peek() != '"') {
                    if (pos >= src.length() || peek() == '\n') throw error("unterminated string literal");
                    seq.add(new Chars(CharClass.single(character())));
                }
                pos++;
                if (symbolStart == seq.size()) symbolStart = -2;   // "" : nothing to repeat, yet allowed
            } else if (c == '[') {
                pos++;
                symbolStart = seq.size();
                seq.add(new Chars(charClass()));
            } else if (c == '.') {
                pos++;
                symbolStart = seq.size();
                seq.add(new Chars(CharClass.any()));
            } else if (isWordChar(c)) {
                symbolStart = seq.size();
                String ref = name();
                skip(nested);
                if (src.startsWith("::=", pos)) throw error("expected the end of the line before rule '" + ref + "' (missing newline?)");
                seq.add(new Ref(rules.reference(ref, line)));
                continue;
            } else if (c == '(') {
                pos++;
                skip(true);
                int sub = rules.generated(ruleName);
                rules.setAlternatives(sub, alternatives(ruleName, true));
                if (peek() != ')') throw error("expected ')'");
                pos++;
                symbolStart = seq.size();
                seq.add(new Ref(sub));
            } else if (c == '*' || c == '+' || c == '?') {
                pos++;
                repeat(seq, symbolStart, c == '+' ? 1 : 0, c == '?' ? 1 : -1, ruleName);
                symbolStart = -1;
            } else if (c == '{') {
                pos++;
                skip(nested);
                int min = number();
                int max = min;
                skip(nested);
                if (peek() == ',') {
                    pos++;
                    skip(nested);
                    max = Character.isDigit(peek()) ? number() : -1;
                    skip(nested);
                }
                if (peek() != '}') throw error("expected '}' to close the repetition");
                pos++;
                if (max >= 0 && max < min) throw error("repetition {" + min + "," + max + "} has its maximum below its minimum");
                repeat(seq, symbolStart, min, max, ruleName);
                symbolStart = -1;
            } else if (c == '<') {
                throw error("token references (<...>) are not supported; write the text the token stands for as a string");
            } else {
                break;
            }
            skip(nested);
        }
        return seq;
    }

    /** Applies a repetition to the last symbol: {@code min} copies, then {@code max - min} optional ones ({@code max < 0}: any number). */
    private void repeat(List<Element> seq, int symbolStart, int min, int max, String ruleName) {
        if (symbolStart == -2) return;   // repeating "" is still ""
        if (symbolStart < 0) throw error("a repetition operator must follow something to repeat");
        if (min > MAX_REPEAT || max > MAX_REPEAT) throw error("repetition counts above " + MAX_REPEAT + " are not accepted");
        List<Element> symbol = new ArrayList<>(seq.subList(symbolStart, seq.size()));
        seq.subList(symbolStart, seq.size()).clear();
        for (int i = 0; i < min; i++) seq.addAll(symbol);
        if (max < 0) {
            // star ::= symbol star | ""   (right recursion: the stack does not grow)
            int star = rules.generated(ruleName);
            List<Element> more = new ArrayList<>(symbol);
            more.add(new Ref(star));
            rules.setAlternatives(star, List.of(more, List.of()));
            seq.add(new Ref(star));
            return;
        }
        // (symbol (symbol (...)?)?)? with max - min levels
        int inner = -1;
        for (int i = 0; i < max - min; i++) {
            int opt = rules.generated(ruleName);
            List<Element> body = new ArrayList<>(symbol);
            if (inner >= 0) body.add(new Ref(inner));
            rules.setAlternatives(opt, List.of(body, List.of()));
            inner = opt;
        }
        if (inner >= 0) seq.add(new Ref(inner));
    }

    private CharClass charClass() {
        boolean negated = false;
        if (peek() == '^') {
            negated = true;
            pos++;
        }
        List<int[]> ranges = new ArrayList<>();
        while (peek() != ']') {
            if (pos >= src.length()) throw error("unterminated character class");
            int lo = character();
            int hi = lo;
            if (peek() == '-' && pos + 1 < src.length() && src.charAt(pos + 1) != ']') {
                pos++;
                hi = character();
            }
            if (hi < lo) throw error("character range " + CharClass.show(lo) + "-" + CharClass.show(hi) + " is reversed");
            ranges.add(new int[]{lo, hi});
        }
        pos++;
        CharClass c = CharClass.of(ranges, negated);
        if (c.isEmpty()) throw error("the character class matches nothing");
        return c;
    }

    /** One code point of a literal or class, with escapes. */
    private int character() {
        if (pos >= src.length()) throw error("unexpected end of the grammar");
        int cp = src.codePointAt(pos);
        pos += Character.charCount(cp);
        if (cp == '\n') line++;
        if (cp != '\\') return cp;
        if (pos >= src.length()) throw error("unfinished escape at the end of the grammar");
        char e = src.charAt(pos++);
        return switch (e) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'x' -> hex(2);
            case 'u' -> hex(4);
            case 'U' -> hex(8);
            default -> {
                if (Character.isLetterOrDigit(e)) throw error("unknown escape '\\" + e + "'");
                yield e;
            }
        };
    }

    private int hex(int digits) {
        if (pos + digits > src.length()) throw error("expected " + digits + " hex digits");
        int v;
        try {
            v = Integer.parseUnsignedInt(src.substring(pos, pos + digits), 16);
        } catch (NumberFormatException ex) {
            throw error("expected " + digits + " hex digits, got '" + src.substring(pos, pos + digits) + "'");
        }
        if (v < 0 || v > CharClass.MAX_CODE_POINT) throw error("code point " + Integer.toHexString(v) + " is beyond U+10FFFF");
        pos += digits;
        return v;
    }

    private int number() {
        int start = pos;
        while (Character.isDigit(peek())) pos++;
        if (start == pos) throw error("expected a number in the repetition");
        try {
            return Integer.parseInt(src.substring(start, pos));
        } catch (NumberFormatException e) {
            throw error("repetition count " + src.substring(start, pos) + " is too large");
        }
    }

    private String name() {
        int start = pos;
        while (pos < src.length() && isWordChar(src.charAt(pos))) pos++;
        return src.substring(start, pos);
    }

    private static boolean isWordChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    /** Skips spaces, tabs and comments, and newlines too when {@code newlines}. */
    private void skip(boolean newlines) {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\r' && pos + 1 < src.length() && src.charAt(pos + 1) == '\n' && newlines) {
                pos++;
            } else if (c == '\n' && newlines) {
                pos++;
                line++;
            } else if (c == '#') {
                while (pos < src.length() && src.charAt(pos) != '\n') pos++;
            } else {
                return;
            }
        }
    }

    private char peek() {
        return pos < src.length() ? src.charAt(pos) : '\0';
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException("grammar line " + line + ": " + message);
    }
}
