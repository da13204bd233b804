package dev.rill.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Oniguruma → Java pattern rewriting and the Split behaviors of tokenizer.json. */
class PreTokenizerTest {

    private static boolean matches(String onig, String text) {
        return OnigRegex.compile(onig).matcher(text).matches();
    }

    @Test
    void shorthandClassesAreUnicodeAsInOniguruma() {
        // \s is Unicode White_Space: NEL, NBSP, ideographic space and the line separator are space;
        // the byte order mark and zero-width space are not (java.util.regex alone says the opposite for NEL/NBSP).
        for (String space : new String[]{" ", "\t", "\u000B", "\u0085", "\u00A0", "\u2002", "\u3000", "\u2028"}) {
            assertTrue(matches("\\s", space), "U+" + Integer.toHexString(space.charAt(0)) + " is white space");
            assertTrue(matches("[\\s]", space));
        }
        for (String notSpace : new String[]{"\uFEFF", "\u200B", "\u180E", "x"}) {
            assertFalse(matches("\\s", notSpace), "U+" + Integer.toHexString(notSpace.charAt(0)) + " is not white space");
            assertTrue(matches("\\S", notSpace));
            assertTrue(matches("[^\\s]", notSpace));
        }
        assertTrue(matches("\\d+", "0123٠١٢३४"));           // Nd in any script
        assertFalse(matches("\\d", "²"));                  // superscript two is No, not Nd
        assertTrue(matches("\\w+", "straße_é²"));          // Alphabetic, Pc, and the superscript digits
        assertTrue(matches("\\h+", "09afAF"));             // Oniguruma's \h is a hex digit (Java's would be space)
        assertFalse(matches("\\h", " "));
        assertTrue(matches("\\v", "\u000B"));
    }

    @Test
    void anchorsDotBracesAndCase() {
        assertEquals(List.of("b", "c"), findAll("^\\w", "a\nb\nc", 1));
        assertEquals(List.of("a", "b"), findAll("\\w$", "a\nb", 0));
        assertFalse(matches(".", "\n"));
        assertTrue(matches(".", "\r"));                    // Oniguruma's dot excludes only \n
        assertTrue(matches("a{,2}", "aa"));
        assertTrue(matches("a{", "a{"));                   // not a quantifier: a literal brace
        assertTrue(matches("(?i:'s)", "'S"));
        assertFalse(matches("(?i:'s)", "'ſ"));             // ASCII folding, as both references do
        assertTrue(matches("[[:alpha:]]+", "Ωmega"));
        assertTrue(matches("\\p{Han}+", "漢字"));            // a script name without Java's "Is"
        assertTrue(matches("\\p{^L}", "1"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnigRegex.compile("(?m:a)"));
        assertTrue(e.getMessage().contains("'(?m:'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OnigRegex.compile("\\p{NoSuchProperty}"));
        assertThrows(IllegalArgumentException.class, () -> OnigRegex.compile("[a-"));
    }

    private static List<String> findAll(String onig, String text, int skip) {
        var m = OnigRegex.compile(onig).matcher(text);
        List<String> out = new ArrayList<>();
        while (m.find()) out.add(m.group());
        return out.subList(skip, out.size());
    }

    private static List<String> split(PreTokenizer.Behavior behavior, boolean invert, String text) {
        List<String> out = new ArrayList<>();
        new PreTokenizer.Split(Pattern.compile("-"), "-", behavior, invert).split(text, out::add);
        return out;
    }

    /** The examples of Hugging Face's SplitDelimiterBehavior documentation. */
    @Test
    void splitBehaviors() {
        String s = "the-final--countdown";
        assertEquals(List.of("the", "final", "countdown"), split(PreTokenizer.Behavior.REMOVED, false, s));
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"), split(PreTokenizer.Behavior.ISOLATED, false, s));
        assertEquals(List.of("the-", "final-", "-", "countdown"), split(PreTokenizer.Behavior.MERGED_WITH_PREVIOUS, false, s));
        assertEquals(List.of("the", "-final", "-", "-countdown"), split(PreTokenizer.Behavior.MERGED_WITH_NEXT, false, s));
        assertEquals(List.of("the", "-", "final", "--", "countdown"), split(PreTokenizer.Behavior.CONTIGUOUS, false, s));
        // invert: the pattern's matches are the content, what lies between them the delimiters.
        assertEquals(List.of("-", "-", "-"), split(PreTokenizer.Behavior.REMOVED, true, s));
        assertThrows(IllegalArgumentException.class, () -> PreTokenizer.Behavior.of("Merged"));
    }

    @Test
    void byteLevelPrefixSpaceAndSequence() {
        List<String> out = new ArrayList<>();
        PreTokenizer.ByteLevelSplit.of(true, true).split("Hello world's", out::add);
        assertEquals(List.of(" Hello", " world", "'s"), out);
        out.clear();
        new PreTokenizer.Sequence(List.of(new PreTokenizer.Split(Pattern.compile("\\d"), "\\d", PreTokenizer.Behavior.ISOLATED, false),
                PreTokenizer.ByteLevelSplit.of(false, true))).split("ab1 cd", out::add);
        assertEquals(List.of("ab", "1", " cd"), out);
    }
}
