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
 * {@code PE(pos, 2i) = scale·sin(pos / base^(2i/nEmb))}, {@code PE(pos, 2i+1) = scale·cos(pos / base^(2i/nEmb))},
 * {@code base} = 10000. Nothing is trained.
 *
 * <p>{@code scale} defaults to 0.1, not the paper's 1: the paper multiplies its embeddings by
 * √nEmb so that they match the table's unit amplitude, but Rill's GPT ties the output head to the
 * token embedding and starts it at GPT-2's std 0.02, so a unit table swamps the tokens.
 * {@code scale=1} gives the paper's table. Measured with {@code rill bench positional} on
 * tinyshakespeare (validation loss, nats/char): with 4 layers × 128, T 128, 1000 steps, 1.82 with
 * 0.1 against 1.91 with 0.05 (learned positions: 1.89); with 2 layers × 64, T 64, 800 steps, 2.72
 * with 1, 2.44 with 0.3, 2.34 with 0.1, 2.24–2.29 with 0.05–0.03, 2.34 with 0.01 — at that size no
 * scale or base (100, 1000) came near learned positions (2.12), and the table was worth little more
 * than no positions at all (2.35).
 *
 * <p>The formula is defined at every position, so the model runs up to the configured maximum
 * context; positions past the training {@code T} are ones the model never saw, and quality there is
 * whatever it learned to generalise. With an odd {@code nEmb} the last column is a sine.
 */
public final class SinusoidalPositions implements PositionalEncoding {

    @Override
    public String name() {
        return "sinusoidal";
    }

    @Override
    public String description() {
        return "fixed sinusoids added to the embeddings (Vaswani et al.): scale·sin/cos of pos/base^(2i/nEmb), nothing trained";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.realAbove("base", 10000, 0, Double.POSITIVE_INFINITY,
                        "wavelength base: the wavelengths run from 2π to base·2π"),
                ParamSpec.realAbove("scale", 0.1, 0, Double.POSITIVE_INFINITY,
                        "multiplies the table; 1 is the paper's, 0.1 suits GPT-2-initialised token embeddings"));
    }

    @Override
    public PositionalEncoder create(ModelShape shape, Params given) {
        Params params = params(given.asMap());
        double base = params.getDouble("base"), scale = params.getDouble("scale");
        int C = shape.nEmb();
        double[] inverseWavelength = new double[(C + 1) / 2];
        for (int i = 0; i < inverseWavelength.length; i++) inverseWavelength[i] = Math.pow(base, -2.0 * i / C);
        PositionTable table = new PositionTable(name(), C, shape.maxContext(), (pos, t, off) -> {
            for (int k = 0; k < C; k++) {
                double angle = pos * inverseWavelength[k / 2];
                t[off + k] = (float) (scale * ((k & 1) == 0 ? Math.sin(angle) : Math.cos(angle)));
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
