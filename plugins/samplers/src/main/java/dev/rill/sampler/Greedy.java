package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

/** Picks the most likely token (argmax; among equal logits the lowest id). No randomness. */
public final class Greedy implements Sampler {

    @Override
    public String name() {
        return "greedy";
    }

    @Override
    public String description() {
        return "pick the most likely token (argmax; ties go to the lowest token id)";
    }

    @Override
    public boolean selects() {
        return true;
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        int best = c.argmax();
        if (c.logits[best] == Float.NEGATIVE_INFINITY) {
            throw new IllegalStateException("every candidate token has probability zero (all were banned)");
        }
        // Only the chosen token is left: the distribution it came from is a point mass.
        c.ids[0] = c.ids[best];
        c.logits[0] = c.logits[best];
        c.size = 1;
        c.sorted = true;
        c.select(c.ids[0]);
    }
}
