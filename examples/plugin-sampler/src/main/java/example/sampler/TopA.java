package example.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.List;

/**
 * Top-a: keeps the tokens whose probability is at least {@code top_a} times the square of the
 * largest one, so it cuts hard when the model is sure and little when it is not. With
 * {@code p_max = 1 / Σ exp(logit − max)}, the rule {@code p ≥ a·p_max²} reads
 * {@code logit ≥ max + ln(a·p_max)}; the most likely token always stays (for {@code a ≤ 1}).
 */
public final class TopA implements Sampler {

    @Override
    public String name() {
        return "top-a";
    }

    @Override
    public String description() {
        return "keep tokens with probability at least top_a times the square of the largest";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.real("top_a", 0.2, 0, 1, "keep tokens with p >= top_a * p_max^2; 0 turns top-a off"));
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        double a = ctx.params().getDouble("top_a");   // validated: a number in [0, 1]
        if (a <= 0 || c.size <= 1) return;
        float max = c.maxLogit();
        double pMax = 1 / c.expWeights(max);
        c.keepAtLeast((float) (max + Math.log(a * pMax)));
    }
}
