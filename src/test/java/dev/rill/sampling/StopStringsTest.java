package dev.rill.sampling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringsTest {

    /** Feeds pieces until a stop; returns what was emitted per push, then "|" + the stop or the finish() rest. */
    static List<String> run(StopStrings stops, String... pieces) {
        List<String> out = new ArrayList<>();
        for (String p : pieces) {
            StopStrings.Step step = stops.push(p);
            out.add(step.text());
            if (step.stopped()) {
                out.add("|stop:" + step.stop());
                return out;
            }
        }
        out.add("|rest:" + stops.finish());
        return out;
    }

    @Test
    void stopStringSplitOverTwoTokensIsCaughtAndNotEmitted() {
        StopStrings s = StopStrings.of("</s>");
        assertEquals(List.of("Hello", " world", "", "|stop:</s>"), run(s, "Hello", " world</", "s>tail"));
        assertEquals("</s>", s.matched());
    }

    @Test
    void stopStringSplitOverThreeTokensIsCaught() {
        StopStrings s = StopStrings.of("\nUser:");
        assertEquals(List.of("Sure.", "", "", "|stop:\nUser:"), run(s, "Sure.\n", "Us", "er: hi"));
    }

    @Test
    void textBeforeTheStopInTheSameTokenIsEmitted() {
        assertEquals(List.of("ok", "done", "|stop:STOP"), run(StopStrings.of("STOP"), "ok", "doneSTOPmore"));
    }

    @Test
    void heldTextIsReleasedAsSoonAsItCannotBecomeAStop() {
        StopStrings s = StopStrings.of("###");
        StopStrings.Step step = s.push("a#");
        assertEquals("a", step.text());
        assertEquals("#", s.held());
        step = s.push("#");
        assertEquals("", step.text());
        assertEquals("##", s.held());
        step = s.push("x");
        assertEquals("##x", step.text(), "'##x' cannot start '###' any more");
        assertEquals("", s.held());
        assertFalse(step.stopped());
    }

    @Test
    void overlappingPrefixesHoldOnlyTheLongestPossibleStart() {
        // "abab": after "aba" the suffix "aba" may still start it; after "abac" nothing can.
        StopStrings s = StopStrings.of("abab");
        assertEquals(List.of("", "", "abac", "x", "|rest:"), run(s, "ab", "a", "c", "x"));
        // "aab" then "ab": the stop starts inside the held text.
        s = StopStrings.of("abab");
        assertEquals(List.of("", "a", "", "|stop:abab"), run(s, "a", "ab", "ab"));
    }

    @Test
    void finishReleasesHeldTextWhenGenerationEndsOtherwise() {
        StopStrings s = StopStrings.of("<|end|>");
        assertEquals(List.of("answer", "", "|rest:<|en"), run(s, "answer<|", "en"));
        assertThrows(IllegalStateException.class, () -> s.push("x"));
    }

    @Test
    void theStopThatCompletesFirstWins() {
        // "bc" completes at the 3rd character, "abcd" only at the 4th.
        assertEquals(List.of("a", "|stop:bc"), run(new StopStrings(List.of("abcd", "bc")), "abcd"));
        // Both end together: the one that starts earlier wins, so less text is emitted.
        assertEquals(List.of("x", "|stop:ab"), run(new StopStrings(List.of("b", "ab")), "xab"));
    }

    @Test
    void resultDoesNotDependOnHowTextIsSplitIntoTokens() {
        SplittableRandom r = new SplittableRandom(7);
        List<String> stops = List.of("\n\n", "END", "ENDING", "<|im_end|>", "ab");
        String alphabet = "aEbND\n<|im_end>x";
        for (int trial = 0; trial < 2000; trial++) {
            StringBuilder text = new StringBuilder();
            int len = 1 + r.nextInt(30);
            for (int i = 0; i < len; i++) text.append(alphabet.charAt(r.nextInt(alphabet.length())));
            String whole = text.toString();
            // Reference: the earliest end of any stop, then the earliest start.
            int bestEnd = Integer.MAX_VALUE, bestStart = -1;
            for (String stop : stops) {
                int at = whole.indexOf(stop);
                if (at >= 0 && (at + stop.length() < bestEnd || at + stop.length() == bestEnd && at < bestStart)) {
                    bestEnd = at + stop.length();
                    bestStart = at;
                }
            }
            String expected = bestStart >= 0 ? whole.substring(0, bestStart) : whole;
            // Split at random points into 1..len pieces.
            StopStrings s = new StopStrings(stops);
            StringBuilder emitted = new StringBuilder();
            boolean stopped = false;
            int i = 0;
            while (i < whole.length() && !stopped) {
                int j = Math.min(whole.length(), i + 1 + r.nextInt(4));
                StopStrings.Step step = s.push(whole.substring(i, j));
                emitted.append(step.text());
                stopped = step.stopped();
                // Held text is always a proper prefix of some stop string.
                String held = s.held();
                assertTrue(held.isEmpty() || stops.stream().anyMatch(st -> st.startsWith(held) && st.length() > held.length()),
                        "held '" + held + "'");
                i = j;
            }
            if (!stopped) emitted.append(s.finish());
            assertEquals(expected, emitted.toString(), "text " + Arrays.toString(whole.toCharArray()));
            assertEquals(bestStart >= 0, stopped);
        }
    }

    @Test
    void withoutStopStringsEverythingPassesAtOnce() {
        StopStrings s = new StopStrings(null);
        assertEquals("abc", s.push("abc").text());
        assertEquals("", s.finish());
        assertNull(s.matched());
    }

    @Test
    void surrogatePairsAreNeverSplit() {
        String emoji = "\uD83D\uDE00"; // 😀
        StopStrings s = StopStrings.of(emoji + "!");
        assertEquals("a", s.push("a" + emoji).text());
        assertEquals(emoji, s.held());
        assertEquals(emoji + "?", s.push("?").text());
    }

    @Test
    void badStopStringsAreRejectedClearly() {
        var e = assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("ok", "")));
        assertTrue(e.getMessage().contains("stop string 2 of 2 is empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StopStrings.of("\uD83D"));
        assertTrue(e.getMessage().contains("lone surrogate"), e.getMessage());
    }
}
