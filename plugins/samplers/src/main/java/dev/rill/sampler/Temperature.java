package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.List;

/**
 * Divides logits by the temperature. At {@code temperature ≤ 0} keeps only the largest logit, so the
 * draw that follows is greedy (as llama.cpp does).
 */
public final class Temperature implements Sampler {

    @Override
    public String name() {
        return "temperature";
    }

    @Override
    public String description() {
        return "divide logits by the temperature; temperature <= 0 keeps only the most likely token (greedy)";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.real("temperature", 0.8, -1, 10, "softmax temperature; <= 0 means greedy"));
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        double t = ctx.params().getDouble("temperature");
        if (t <= 0) {
            int best = c.argmax();
            c.ids[0] = c.ids[best];
            c.logits[0] = c.logits[best];
            c.size = 1;
            c.sorted = true;
            return;
        }
        float inv = (float) (1.0 / t);
        for (int i = 0; i < c.size; i++) c.logits[i] *= inv;
    }
}
