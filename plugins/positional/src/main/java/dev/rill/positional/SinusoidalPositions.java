package dev.rill.positional;

import dev.rill.spi.ModelShape;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.TensorView;
import dev.rill.tensor.Vec;

import java.util.List;

/**
 * The Transformer's fixed sinusoids (Vaswani et al. 2017, §3.5), added to the token embedding:
 * {@code PE(pos, 2i) = sin(pos / base^(2i/nEmb))}, {@code PE(pos, 2i+1) = cos(pos / base^(2i/nEmb))},
 * {@code base} = 10000. Nothing is trained. The formula is defined at every position, so the
 * model runs up to the configured maximum context; positions past the training {@code T} are
 * ones the model never saw, and quality there is whatever it learned to generalise.
 * With an odd {@code nEmb} the last column is a sine.
 */
public final class SinusoidalPositions implements PositionalEncoding {

    @Override
    public String name() {
        return "sinusoidal";
    }

    @Override
    public String description() {
        return "fixed sinusoids added to the embeddings (Vaswani et al.): sin/cos of pos/base^(2i/nEmb), nothing trained";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.realAbove("base", 10000, 0, Double.POSITIVE_INFINITY,
                "wavelength base: the wavelengths run from 2π to base·2π"));
    }

    @Override
    public PositionalEncoder create(ModelShape shape, Params given) {
        Params params = params(given.asMap());
        double base = params.getDouble("base");
        int C = shape.nEmb();
        double[] inverseWavelength = new double[(C + 1) / 2];
        for (int i = 0; i < inverseWavelength.length; i++) inverseWavelength[i] = Math.pow(base, -2.0 * i / C);
        PositionTable table = new PositionTable(name(), C, shape.maxContext(), (pos, t, off) -> {
            for (int k = 0; k < C; k++) {
                double angle = pos * inverseWavelength[k / 2];
                t[off + k] = (float) ((k & 1) == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        });
        return new Encoder(shape, params, table);
    }

    private record Encoder(ModelShape shape, Params params, PositionTable table) implements PositionalEncoder {

        @Override
        public int maxPositions() {
            return shape.maxContext();
        }

        @Override
        public boolean addsToEmbeddings() {
            return true;
        }

        @Override
        public void embed(List<TensorView> weights, float[] x, int off, int pos) {
            Vec.add(table.upTo(pos), pos * shape.nEmb(), x, off, shape.nEmb());
        }

        // embedBackward: the table is fixed, so there is nothing to accumulate.
    }
}
