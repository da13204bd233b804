package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.List;

/**
 * Nucleus sampling: keeps the smallest set of most likely tokens whose probabilities add up to at
 * least {@code top_p} (and at least {@code min_keep} tokens; ties at the cut: lower ids first).
 * Probabilities are softmax over the tokens still alive. Never sorts the vocabulary: see
 * {@link Candidates#keepNucleus}.
 */
public final class TopP implements Sampler {

    @Override
    public String name() {
        return "top-p";
    }

    @Override
    public String description() {
        return "keep the most likely tokens until their probabilities sum to top_p (nucleus sampling)";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.realAbove("top_p", 0.95, 0, 1, "probability mass to keep; 1 turns top-p off"),
                SamplingParams.MIN_KEEP);
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        double p = ctx.params().getDouble("top_p");
        int minKeep = ctx.params().getInt("min_keep");
        if (p >= 1) return;
        c.keepNucleus(p, minKeep);
    }
}
