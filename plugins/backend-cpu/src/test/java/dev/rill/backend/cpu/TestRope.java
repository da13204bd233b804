package dev.rill.backend.cpu;

import dev.rill.spi.ModelShape;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;

import java.util.List;

/**
 * A test-scope {@code rope} provider with the parameters of the positional plugin's (base, pairing,
 * scaling, factor, low/high_freq_factor, original_context), so that this module's tests can load
 * GGUF models without depending on the positional module. Straight from the formulas, in double.
 */
public final class TestRope implements PositionalEncoding {

    @Override
    public String name() {
        return "rope";
    }

    @Override
    public String description() {
        return "test RoPE";
    }

    @Override
    public List<ParamSpec> parameters() {
        double inf = Double.POSITIVE_INFINITY;
        return List.of(ParamSpec.realAbove("base", 10000, 0, inf, ""),
                ParamSpec.choice("pairing", "adjacent", List.of("adjacent", "half"), ""),
                ParamSpec.choice("scaling", "none", List.of("none", "linear", "llama3"), ""),
                ParamSpec.realAbove("factor", 1, 0, inf, ""),
                ParamSpec.realAbove("low_freq_factor", 1, 0, inf, ""),
                ParamSpec.realAbove("high_freq_factor", 4, 0, inf, ""),
                ParamSpec.integer("original_context", 8192, 1, Integer.MAX_VALUE, ""));
    }

    @Override
    public PositionalEncoder create(ModelShape shape, Params params) {
        int hs = shape.headDim();
        double[] theta = new double[hs / 2];
        double base = params.getDouble("base"), factor = params.getDouble("factor");
        for (int i = 0; i < theta.length; i++) {
            theta[i] = Math.pow(base, -2.0 * i / hs);
            switch (params.getString("scaling")) {
                case "linear" -> theta[i] /= factor;
                case "llama3" -> {
                    double lo = params.getDouble("low_freq_factor"), hi = params.getDouble("high_freq_factor"), L = params.getInt("original_context");
                    double wl = 2 * Math.PI / theta[i];
                    if (wl > L / lo) theta[i] /= factor;
                    else if (wl >= L / hi) {
                        double s = (L / wl - lo) / (hi - lo);
                        theta[i] = (1 - s) * theta[i] / factor + s * theta[i];
                    }
                }
                default -> {
                }
            }
        }
        boolean half = params.getString("pairing").equals("half");
        return new PositionalEncoder() {
            @Override
            public Params params() {
                return params;
            }

            @Override
            public int maxPositions() {
                return shape.maxContext();
            }

            @Override
            public boolean rotates() {
                return true;
            }

            @Override
            public void rotate(float[] v, int off, int pos) {
                for (int i = 0; i < hs / 2; i++) {
                    int a = half ? off + i : off + 2 * i, b = half ? off + i + hs / 2 : off + 2 * i + 1;
                    double c = Math.cos(pos * theta[i]), s = Math.sin(pos * theta[i]);
                    float x = v[a], y = v[b];
                    v[a] = (float) (x * c - y * s);
                    v[b] = (float) (x * s + y * c);
                }
            }
        };
    }
}
