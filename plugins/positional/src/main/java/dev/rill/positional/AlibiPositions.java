package dev.rill.positional;

import dev.rill.spi.ModelShape;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;

/**
 * ALiBi (Press, Smith, Lewis 2022, "Train Short, Test Long"): no position embedding; each head adds
 * {@code −m_h·(i − j)} to the score of query {@code i} against key {@code j}, a penalty growing
 * linearly with distance. The slopes {@code m_h} are fixed: for {@code n} heads a power of two,
 * {@code 2^(−8/n)}, {@code 2^(−16/n)}, …; otherwise those of the power of two {@code c} just below
 * {@code n}, followed by every other slope of {@code 2c} heads ({@code n − c} of them), as in the
 * authors' code. The bias is defined at every distance, so the model runs up to the configured
 * maximum context; the paper's finding is that quality holds well past the training length.
 */
public final class AlibiPositions implements PositionalEncoding {

    @Override
    public String name() {
        return "alibi";
    }

    @Override
    public String description() {
        return "attention with linear biases: each head adds −slope·distance to its scores, nothing trained";
    }

    @Override
    public PositionalEncoder create(ModelShape shape, Params given) {
        Params params = params(given.asMap());
        double[] slopes = slopes(shape.nHead());
        float[] m = new float[slopes.length];
        for (int h = 0; h < m.length; h++) m[h] = (float) slopes[h];
        return new Encoder(shape, params, m);
    }

    /** The slope of each of {@code nHead} heads. */
    public static double[] slopes(int nHead) {
        if (nHead <= 0) throw new IllegalArgumentException("alibi needs at least one head; got " + nHead);
        int c = Integer.highestOneBit(nHead);
        double[] out = new double[nHead];
        for (int h = 0; h < c; h++) out[h] = Math.pow(2, -8.0 * (h + 1) / c);
        // Slopes of 2c heads at even indices 0, 2, 4, …: 2^(−8·(2k+1)/(2c)).
        for (int k = 0; c + k < nHead; k++) out[c + k] = Math.pow(2, -8.0 * (2 * k + 1) / (2 * c));
        return out;
    }

    private record Encoder(ModelShape shape, Params params, float[] slopes) implements PositionalEncoder {

        @Override
        public int maxPositions() {
            return shape.maxContext();
        }

        @Override
        public boolean biasesScores() {
            return true;
        }

        @Override
        public void scoreBias(int head, int queryPos, int keyPos0, float[] scores, int off, int n) {
            float m = slopes[head];
            int distance0 = queryPos - keyPos0;
            for (int j = 0; j < n; j++) scores[off + j] -= m * (distance0 - j);
        }
    }
}
