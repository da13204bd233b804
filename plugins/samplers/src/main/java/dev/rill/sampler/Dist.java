package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

/** The final seeded categorical draw from softmax of the surviving logits. */
public final class Dist implements Sampler {

    @Override
    public String name() {
        return "dist";
    }

    @Override
    public String description() {
        return "draw a token from softmax(logits) with the request's seeded random source";
    }

    @Override
    public boolean selects() {
        return true;
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        if (c.size == 1) {
            c.select(c.ids[0]);
            return;
        }
        c.softmax();
        double r = ctx.random().nextDouble();
        double cumulative = 0;
        for (int i = 0; i < c.size; i++) {
            cumulative += c.probs[i];
            if (r < cumulative) {
                c.select(c.ids[i]);
                return;
            }
        }
        // Rounding left r just above the total: take the last token with any probability.
        for (int i = c.size - 1; i >= 0; i--) {
            if (c.probs[i] > 0) {
                c.select(c.ids[i]);
                return;
            }
        }
        c.select(c.ids[0]);
    }
}
