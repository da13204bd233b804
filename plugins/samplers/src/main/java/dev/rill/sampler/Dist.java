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
        c.select(c.ids[Draw.categorical(c, ctx.random())]);
    }
}
