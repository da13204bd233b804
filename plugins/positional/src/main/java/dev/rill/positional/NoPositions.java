package dev.rill.positional;

import dev.rill.spi.ModelShape;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;

/**
 * NoPE: no positional information at all. A causal decoder still learns position implicitly (a
 * query sees only the keys before it, and how many there are shows in its averages). Nothing
 * depends on position, so the model runs up to the configured maximum context.
 */
public final class NoPositions implements PositionalEncoding {

    @Override
    public String name() {
        return "none";
    }

    @Override
    public String description() {
        return "no positional encoding (NoPE): causal attention alone";
    }

    @Override
    public PositionalEncoder create(ModelShape shape, Params given) {
        return new Encoder(shape, params(given.asMap()));
    }

    private record Encoder(ModelShape shape, Params params) implements PositionalEncoder {

        @Override
        public int maxPositions() {
            return shape.maxContext();
        }
    }
}
