package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.List;

/**
 * Divides logits by the temperature, so the draw that follows samples softmax(logits / T). At
 * {@code temperature = 0} keeps only the most likely token, so the draw is greedy (as in llama.cpp).
 */
public final class Temperature implements Sampler {

    static final ParamSpec TEMPERATURE = ParamSpec.real("temperature", 0.8, 0, 10,
            "softmax temperature: below 1 sharpens, above 1 flattens; 0 means greedy");

    @Override
    public String name() {
        return "temperature";
    }

    @Override
    public String description() {
        return "divide logits by the temperature; temperature 0 keeps only the most likely token (greedy)";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(TEMPERATURE);
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
        if (t == 1) return;
        // Shift by the max first: softmax does not change, and (logit - max) / t ≤ 0 cannot overflow
        // to +inf however small t is (it may underflow to -inf, which is the right limit).
        float max = c.maxLogit();
        if (max == Float.NEGATIVE_INFINITY) return;
        float tf = (float) t;
        for (int i = 0; i < c.size; i++) c.logits[i] = (c.logits[i] - max) / tf;
    }
}
