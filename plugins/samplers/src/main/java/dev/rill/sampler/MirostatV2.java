package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.List;

/**
 * Mirostat 2.0 (Basu et al. 2021): steers the surprise {@code -log2 p} of the drawn tokens towards
 * the target {@code mirostat_tau}. Each token: drop the tokens whose surprise exceeds μ (keep at
 * least the most likely), renormalize, draw, then {@code μ -= mirostat_eta · (surprise - τ)}, where
 * the surprise is that of the drawn token under the renormalized distribution. μ starts at 2τ and
 * lives in the request's state, so it carries from token to token. Picks the token (ends a chain);
 * llama.cpp's equivalent chain is {@code temperature,mirostat-v2}.
 */
public final class MirostatV2 implements Sampler {

    static final String MU = "mirostat-v2.mu";

    @Override
    public String name() {
        return "mirostat-v2";
    }

    @Override
    public String description() {
        return "Mirostat 2.0: draw while steering the surprise (-log2 p) of each token towards mirostat_tau";
    }

    @Override
    public boolean selects() {
        return true;
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(
                ParamSpec.real("mirostat_tau", 5.0, 0, 100, "target surprise in bits (lower: more focused text)"),
                ParamSpec.real("mirostat_eta", 0.1, 0, 1, "learning rate of the surprise controller"));
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        double tau = ctx.params().getDouble("mirostat_tau");
        double eta = ctx.params().getDouble("mirostat_eta");
        double mu = ctx.state().get(MU) instanceof Double d ? d : 2 * tau;
        // surprise ≤ μ  ⇔  p ≥ 2^-μ  ⇔  logit ≥ max + ln Σexp(logit - max) - μ ln 2
        float max = c.maxLogit();
        double sum = c.expWeights(max);
        float minLogit = (float) (max + Math.log(sum) - mu * Math.log(2));
        if (c.countAtLeast(minLogit) > 0) c.keepAtLeast(minLogit);
        else c.keepTop(1);
        int chosen = Draw.categorical(c, ctx.random());
        double surprise = -Math.log(c.probs[chosen]) / Math.log(2);
        ctx.state().put(MU, mu - eta * (surprise - tau));
        c.select(c.ids[chosen]);
    }
}
