package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.List;

/**
 * Keeps the tokens at least {@code min_p} times as likely as the most likely one, i.e. with
 * {@code logit ≥ max + ln(min_p)} (and at least {@code min_keep}). Needs no sort.
 */
public final class MinP implements Sampler {

    @Override
    public String name() {
        return "min-p";
    }

    @Override
    public String description() {
        return "keep tokens with probability at least min_p times that of the most likely token";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.real("min_p", 0.05, 0, 1, "relative probability floor; 0 turns min-p off"),
                SamplingParams.MIN_KEEP);
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        double p = ctx.params().getDouble("min_p");
        int minKeep = ctx.params().getInt("min_keep");
        if (p <= 0 || c.size <= 1) return;
        float max = c.maxLogit();
        if (max == Float.NEGATIVE_INFINITY) return;
        float minLogit = (float) (max + Math.log(p));
        int passing = c.countAtLeast(minLogit);
        if (passing >= minKeep) c.keepAtLeast(minLogit);
        else c.keepTop(minKeep);
    }
}
