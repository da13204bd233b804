package dev.rill.sampling;

import java.util.ArrayList;
import java.util.List;

/**
 * Watches the generated text for stop strings that may arrive split over several tokens. Feed it
 * each token's decoded text with {@link #push}; it returns the text that is safe to send now and
 * whether a stop string was completed. Text is held back only while it could still become a stop
 * string (a suffix that is a proper prefix of one); the stop string itself and anything after it
 * are never returned. When generation ends for another reason, {@link #finish} returns what is
 * still held back.
 *
 * <p>If several stop strings complete, the one that completes first wins (earliest end, then
 * earliest start), so the result does not depend on how the text was split into tokens.
 * One instance serves one generation; it is not thread-safe.
 */
public final class StopStrings {

    /** What one {@link #push} yields: text to send now, and the stop string if one was completed. */
    public record Step(String text, String stop) {
        /** Whether a stop string was completed: generation ends with finish reason {@code stop}. */
        public boolean stopped() {
            return stop != null;
        }
    }

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private String matched;
    private boolean finished;

    /**
     * @param stops the stop strings; {@code null} or empty means none
     * @throws IllegalArgumentException on an empty or null stop string, or one with a lone surrogate
     */
    public StopStrings(List<String> stops) {
        List<String> list = new ArrayList<>();
        if (stops != null) {
            for (int i = 0; i < stops.size(); i++) {
                String s = stops.get(i);
                if (s == null || s.isEmpty()) {
                    throw new IllegalArgumentException("stop string " + (i + 1) + " of " + stops.size() + " is empty; every stop string needs at least one character");
                }
                if (!wellFormed(s)) {
                    throw new IllegalArgumentException("stop string " + (i + 1) + " of " + stops.size() + " is not valid Unicode text (it has a lone surrogate)");
                }
                if (!list.contains(s)) list.add(s);
            }
        }
        this.stops = List.copyOf(list);
    }

    public static StopStrings of(String... stops) {
        return new StopStrings(List.of(stops));
    }

    public List<String> stops() {
        return stops;
    }

    /**
     * Adds the text of the next token.
     *
     * @throws IllegalStateException after a stop string was completed or {@link #finish} was called
     */
    public Step push(String piece) {
        if (matched != null) throw new IllegalStateException("stop string " + quote(matched) + " was already completed; generation is over");
        if (finished) throw new IllegalStateException("finish() was already called; generation is over");
        if (piece == null || piece.isEmpty()) return new Step("", null);
        if (stops.isEmpty()) return new Step(piece, null);
        held.append(piece);

        // Text held before this piece holds no whole stop string, so any match ends in the new text.
        int bestStart = -1, bestEnd = Integer.MAX_VALUE;
        String best = null;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at < 0) continue;
            int end = at + s.length();
            if (end < bestEnd || end == bestEnd && at < bestStart) {
                bestStart = at;
                bestEnd = end;
                best = s;
            }
        }
        if (best != null) {
            String text = held.substring(0, bestStart);
            held.setLength(0);
            matched = best;
            return new Step(text, best);
        }
        int keep = heldBackLength();
        String text = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return new Step(text, null);
    }

    /** The length of the longest suffix of {@link #held} that a stop string starts with (and is longer than). */
    private int heldBackLength() {
        int n = held.length();
        int longest = 0;
        for (String s : stops) longest = Math.max(longest, s.length() - 1);
        for (int k = Math.min(longest, n); k > 0; k--) {
            for (String s : stops) {
                if (s.length() > k && regionEquals(s, n - k, k)) return k;
            }
        }
        return 0;
    }

    private boolean regionEquals(String stop, int from, int k) {
        for (int i = 0; i < k; i++) if (held.charAt(from + i) != stop.charAt(i)) return false;
        return true;
    }

    /**
     * Ends the generation for a reason other than a stop string (end-of-sequence token, length,
     * cancel) and returns the text still held back, which is now known not to be a stop string.
     * After a completed stop string it returns the empty string.
     */
    public String finish() {
        finished = true;
        String rest = held.toString();
        held.setLength(0);
        return rest;
    }

    /** The text held back so far (a possible beginning of a stop string). */
    public String held() {
        return held.toString();
    }

    /** The completed stop string, or {@code null}. */
    public String matched() {
        return matched;
    }

    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (Character.isHighSurrogate(ch)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
                i++;
            } else if (Character.isLowSurrogate(ch)) {
                return false;
            }
        }
        return true;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\n", "\\n") + "\"";
    }
}
