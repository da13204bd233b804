package dev.rill.generate;

import java.util.List;

/**
 * Watches generated text for stop strings, which may span several tokens. Text is released as soon
 * as it can no longer be the start of a stop string; a stop string itself is never released.
 */
final class StopText {

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopText(List<String> stops) {
        this.stops = stops;
    }

    /** Adds a piece of text; returns what is safe to emit now. */
    String push(String piece) {
        if (stopped || piece.isEmpty()) return "";
        if (stops.isEmpty()) return piece;
        held.append(piece);
        int earliest = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (earliest < 0 || i < earliest)) earliest = i;
        }
        if (earliest >= 0) {
            stopped = true;
            String out = held.substring(0, earliest);
            held.setLength(0);
            return out;
        }
        // Keep the longest tail that is a prefix of some stop string.
        int keep = 0;
        String h = held.toString();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, h.length()); k > keep; k--) {
                if (h.regionMatches(h.length() - k, s, 0, k)) {
                    keep = k;
                    break;
                }
            }
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** Whatever is held back, at the end of generation. */
    String flush() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }

    boolean stopped() {
        return stopped;
    }
}
