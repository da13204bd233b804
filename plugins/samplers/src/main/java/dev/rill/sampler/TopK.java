package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.List;

/**
 * Keeps the {@code top_k} most likely tokens (ties at the cut go to the lower token ids), sorted;
 * 0 turns it off. A partial selection: one pass over the vocabulary plus {@code k log k}.
 */
public final class TopK implements Sampler {

    @Override
    public String name() {
        return "top-k";
    }

    @Override
    public String description() {
        return "keep the k most likely tokens (ties at the cut: lower ids first); 0 keeps all";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.integer("top_k", 40, 0, Integer.MAX_VALUE, "how many tokens to keep; 0 turns top-k off"));
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        int k = ctx.params().getInt("top_k");
        if (k <= 0 || k >= c.size) return;
        c.keepTop(k);
    }
}
