package dev.rill.tokenizer;

import java.util.List;
import java.util.Locale;

/**
 * Text normalization applied before pre-tokenization (Qwen's tokenizer.json asks for NFC). Only
 * the steps that keep a byte-level vocabulary meaningful are supported.
 */
record Normalizer(List<Step> steps) {

    static final Normalizer NONE = new Normalizer(List.of());

    enum Step { NFC, NFD, NFKC, NFKD, LOWERCASE }

    Normalizer {
        steps = List.copyOf(steps);
    }

    boolean isNone() {
        return steps.isEmpty();
    }

    String apply(String text) {
        for (Step s : steps) {
            text = switch (s) {
                case NFC -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
                case NFD -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFD);
                case NFKC -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFKC);
                case NFKD -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFKD);
                case LOWERCASE -> text.toLowerCase(Locale.ROOT);
            };
        }
        return text;
    }
}
