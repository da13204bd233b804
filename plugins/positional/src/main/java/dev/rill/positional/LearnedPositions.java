package dev.rill.positional;

import dev.rill.spi.ModelShape;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.TensorSpec;
import dev.rill.spi.TensorView;
import dev.rill.tensor.Vec;

import java.util.List;

/**
 * GPT-2's learned absolute positions: a trainable table {@code (T, nEmb)} ({@code transformer.wpe.weight})
 * whose row {@code pos} is added to the token embedding. Positions past {@code T} do not exist.
 */
public final class LearnedPositions implements PositionalEncoding {

    @Override
    public String name() {
        return "learned";
    }

    @Override
    public String description() {
        return "learned absolute positions (GPT-2 wpe): a trainable (T, nEmb) table added to the embeddings";
    }

    @Override
    public PositionalEncoder create(ModelShape shape, Params params) {
        return new Encoder(shape, params);
    }

    private record Encoder(ModelShape shape, Params params) implements PositionalEncoder {

        @Override
        public int maxPositions() {
            return shape.T();
        }

        @Override
        public List<TensorSpec> parameters() {
            return List.of(new TensorSpec("transformer.wpe.weight", new int[]{shape.T(), shape.nEmb()}, 0.02f, false));
        }

        @Override
        public boolean addsToEmbeddings() {
            return true;
        }

        @Override
        public void embed(List<TensorView> weights, float[] x, int off, int pos) {
            check(pos);
            TensorView wpe = weights.getFirst();
            Vec.add(wpe.data(), wpe.offset() + pos * shape.nEmb(), x, off, shape.nEmb());
        }

        @Override
        public void embedBackward(List<TensorView> weights, List<TensorView> grads, float[] dx, int off, int pos) {
            TensorView g = grads.getFirst();
            Vec.add(dx, off, g.data(), g.offset() + pos * shape.nEmb(), shape.nEmb());
        }

        private void check(int pos) {
            if (pos >= shape.T()) {
                throw new IllegalArgumentException("learned positions exist only for 0.." + (shape.T() - 1) + "; position " + pos + " asked");
            }
        }
    }
}
