package dev.rill.sampler;

import dev.rill.spi.ParamSpec;

/**
 * Parameters that more than one sampler reads. Declared once, so every step that takes them
 * agrees on the default and the range.
 */
final class SamplingParams {

    private SamplingParams() {
    }

    /** As in llama.cpp: the floor on how many tokens top-p, min-p and typical keep (0 = no floor beyond 1). */
    static final ParamSpec MIN_KEEP = ParamSpec.integer("min_keep", 0, 0, Integer.MAX_VALUE,
            "keep at least this many tokens in top-p, min-p and typical (0: no floor)");
}
