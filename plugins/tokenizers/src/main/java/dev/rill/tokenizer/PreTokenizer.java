package dev.rill.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into pre-tokens before byte-pair encoding; merges never cross a pre-token boundary.
 * The forms are those of Hugging Face's tokenizer.json that byte-level BPE models use.
 */
sealed interface PreTokenizer {

    /** Hands each non-empty pre-token of {@code text} to {@code out}, in order. */
    void split(String text, Consumer<String> out);

    /** What happens to the pieces a {@link Split} pattern finds (the "delimiters"). */
    enum Behavior {
        REMOVED("Removed"), ISOLATED("Isolated"), MERGED_WITH_PREVIOUS("MergedWithPrevious"),
        MERGED_WITH_NEXT("MergedWithNext"), CONTIGUOUS("Contiguous");

        final String json;

        Behavior(String json) {
            this.json = json;
        }

        static Behavior of(String json) {
            for (Behavior b : values()) if (b.json.equals(json)) return b;
            throw new IllegalArgumentException("Split behavior '" + json + "' is unknown; accepted: Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
        }
    }

    /**
     * Splits at the matches of a pattern. The matches are the delimiters, or with {@code invert}
     * the text between them is; {@code behavior} says what becomes of the delimiters.
     */
    record Split(Pattern pattern, String source, Behavior behavior, boolean invert) implements PreTokenizer {

        @Override
        public void split(String text, Consumer<String> out) {
            Matcher m = pattern.matcher(text);
            boolean keepMatches = invert || behavior != Behavior.REMOVED;
            boolean keepGaps = !invert || behavior != Behavior.REMOVED;
            if (behavior == Behavior.ISOLATED || behavior == Behavior.REMOVED) {
                int last = 0;
                while (m.find()) {
                    if (m.start() == m.end()) continue;
                    if (keepGaps && m.start() > last) out.accept(text.substring(last, m.start()));
                    if (keepMatches) out.accept(text.substring(m.start(), m.end()));
                    last = m.end();
                }
                if (keepGaps && last < text.length()) out.accept(text.substring(last));
                return;
            }
            // Merging behaviors: list the pieces (start, end, is-delimiter), then fold them.
            List<int[]> pieces = new ArrayList<>();
            int last = 0;
            while (m.find()) {
                if (m.start() == m.end()) continue;
                if (m.start() > last) pieces.add(new int[]{last, m.start(), invert ? 1 : 0});
                pieces.add(new int[]{m.start(), m.end(), invert ? 0 : 1});
                last = m.end();
            }
            if (last < text.length()) pieces.add(new int[]{last, text.length(), invert ? 1 : 0});
            List<int[]> merged = new ArrayList<>();
            switch (behavior) {
                case MERGED_WITH_PREVIOUS -> {
                    boolean previousDelimiter = false;
                    for (int[] p : pieces) {
                        if (p[2] == 1 && !previousDelimiter && !merged.isEmpty()) merged.getLast()[1] = p[1];
                        else merged.add(p.clone());
                        previousDelimiter = p[2] == 1;
                    }
                }
                case MERGED_WITH_NEXT -> {
                    boolean nextDelimiter = false;
                    for (int k = pieces.size() - 1; k >= 0; k--) {
                        int[] p = pieces.get(k);
                        if (p[2] == 1 && !nextDelimiter && !merged.isEmpty()) merged.getLast()[0] = p[0];
                        else merged.add(p.clone());
                        nextDelimiter = p[2] == 1;
                    }
                    java.util.Collections.reverse(merged);
                }
                case CONTIGUOUS -> {
                    boolean previousDelimiter = false;
                    for (int[] p : pieces) {
                        if (p[2] == 1 && previousDelimiter) merged.getLast()[1] = p[1];
                        else merged.add(p.clone());
                        previousDelimiter = p[2] == 1;
                    }
                }
                default -> throw new IllegalStateException(behavior.name());
            }
            for (int[] p : merged) out.accept(text.substring(p[0], p[1]));
        }
    }

    /**
     * The ByteLevel pre-tokenizer: optionally prefixes a space, and with {@code useRegex} splits
     * with GPT-2's pattern. (Its mapping of bytes to characters is implicit: Rill encodes bytes.)
     */
    record ByteLevelSplit(boolean addPrefixSpace, boolean useRegex, Pattern pattern) implements PreTokenizer {

        static ByteLevelSplit of(boolean addPrefixSpace, boolean useRegex) {
            return new ByteLevelSplit(addPrefixSpace, useRegex, useRegex ? OnigRegex.compile(SplitPatterns.GPT2) : null);
        }

        @Override
        public void split(String text, Consumer<String> out) {
            if (addPrefixSpace && !text.startsWith(" ")) text = " " + text;
            if (!useRegex) {
                if (!text.isEmpty()) out.accept(text);
                return;
            }
            Matcher m = pattern.matcher(text);
            int last = 0;
            while (m.find()) {
                if (m.start() == m.end()) continue;
                if (m.start() > last) out.accept(text.substring(last, m.start()));
                out.accept(text.substring(m.start(), m.end()));
                last = m.end();
            }
            if (last < text.length()) out.accept(text.substring(last));
        }
    }

    /** Pre-tokenizers applied in turn, each to every piece the previous one made. */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {

        public Sequence {
            steps = List.copyOf(steps);
        }

        @Override
        public void split(String text, Consumer<String> out) {
            splitFrom(0, text, out);
        }

        private void splitFrom(int step, String text, Consumer<String> out) {
            if (step == steps.size()) {
                out.accept(text);
                return;
            }
            steps.get(step).split(text, piece -> splitFrom(step + 1, piece, out));
        }
    }
}
