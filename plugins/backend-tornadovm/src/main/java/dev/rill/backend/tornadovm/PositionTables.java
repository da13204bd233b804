package dev.rill.backend.tornadovm;

import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.TensorView;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A positional encoder turned into tables a device can read, by calling its CPU hooks once at load:
 * <ul>
 *   <li>{@link PositionalEncoder#embed} → {@link #additive}: the vector added at each position
 *       (learned, sinusoidal);</li>
 *   <li>{@link PositionalEncoder#rotate} → {@link #pairs} and {@link #rotation}: which dimensions of a
 *       head rotate together, and each pair's 2×2 matrix at each position (RoPE with either pairing,
 *       partial rotary, scaled variants);</li>
 *   <li>{@link PositionalEncoder#scoreBias} → {@link #bias}: per head, the bias as a function of the
 *       query–key distance (ALiBi and other relative biases).</li>
 * </ul>
 * Each table is checked against the hook it came from over every position it covers (for the
 * bias, a spread of query positions); an encoder that does not fit these shapes is refused with a
 * clear error rather than run wrongly.
 *
 * @param positions  positions covered, {@code 0 .. positions-1}
 * @param additive   {@code (positions, nEmb)}, or {@code null} when the encoder adds nothing
 * @param pairs      {@code (nPairs, 2)} head-local dimension indices, or {@code null} when it does not rotate
 * @param rotation   {@code (positions, nPairs, 2, 2)}, or {@code null}
 * @param bias       {@code (nHead, positions)} indexed by distance {@code queryPos - keyPos}, or {@code null}
 */
record PositionTables(int positions, float[] additive, int[] pairs, float[] rotation, float[] bias) {

    /** Agreement required between a table and the hook it was made from (FP32 round-off of a few operations). */
    private static final float TOLERANCE = 1e-5f;

    int nPairs() {
        return pairs == null ? 0 : pairs.length / 2;
    }

    /**
     * Per head dimension {@code d}, three ints: its partner (itself when it does not rotate), and the
     * places within a position's row of {@link #rotation} of the coefficients for itself and for the
     * partner: the pair's first member takes {@code (a, b)}, the second {@code (d, c)} of {@code [[a, b], [c, d]]}.
     */
    int[] rotationDims(int headDim) {
        int[] dims = new int[3 * headDim];
        for (int d = 0; d < headDim; d++) dims[3 * d] = d;
        for (int p = 0; p < nPairs(); p++) {
            int i = pairs[2 * p], j = pairs[2 * p + 1];
            dims[3 * i] = j;
            dims[3 * i + 1] = 4 * p;
            dims[3 * i + 2] = 4 * p + 1;
            dims[3 * j] = i;
            dims[3 * j + 1] = 4 * p + 3;
            dims[3 * j + 2] = 4 * p + 2;
        }
        return dims;
    }

    /**
     * @param positions how many positions the device will serve (at most the encoder's {@code maxPositions()})
     * @throws IllegalArgumentException when a hook does something these tables cannot express
     */
    static PositionTables of(PositionalEncoder pe, List<TensorView> weights, String name, int nEmb, int nHead,
                             int headDim, int positions) {
        if (positions <= 0 || positions > pe.maxPositions()) {
            throw new IllegalArgumentException("positions " + positions + " outside 1.." + pe.maxPositions()
                    + " of positional encoding '" + name + "'");
        }
        float[] additive = pe.addsToEmbeddings() ? additive(pe, weights, name, nEmb, positions) : null;
        int[] pairs = null;
        float[] rotation = null;
        if (pe.rotates()) {
            pairs = pairs(pe, name, headDim, positions);
            rotation = rotation(pe, name, headDim, positions, pairs);
        }
        float[] bias = pe.biasesScores() ? bias(pe, name, nHead, positions) : null;
        return new PositionTables(positions, additive, pairs, rotation, bias);
    }

    private static float[] additive(PositionalEncoder pe, List<TensorView> weights, String name, int nEmb, int positions) {
        float[] table = new float[Math.multiplyExact(positions, nEmb)];
        SplittableRandom random = new SplittableRandom(1);
        float[] x = new float[nEmb], y = new float[nEmb];
        for (int pos = 0; pos < positions; pos++) {
            pe.embed(weights, table, pos * nEmb, pos);
            // The device adds the table row; that is right only when embed(x) = x + embed(0).
            for (int i = 0; i < nEmb; i++) x[i] = y[i] = (float) random.nextGaussian();
            pe.embed(weights, y, 0, pos);
            for (int i = 0; i < nEmb; i++) {
                float want = x[i] + table[pos * nEmb + i];
                if (!close(y[i], want, Math.abs(x[i]) + Math.abs(table[pos * nEmb + i]))) {
                    throw unsupported(name, "its embed() is not an addition of a per-position vector (position " + pos + ")");
                }
            }
        }
        return table;
    }

    /** Pairs of head dimensions that mix under rotate(), found by rotating each unit vector. */
    private static int[] pairs(PositionalEncoder pe, String name, int headDim, int positions) {
        int[] partner = new int[headDim];
        Arrays.fill(partner, -1);
        float[] v = new float[headDim];
        // Position 1 turns every pair of a standard RoPE; the last position catches any that stay still there.
        for (int pos : new int[]{Math.min(1, positions - 1), positions - 1}) {
            for (int i = 0; i < headDim; i++) {
                Arrays.fill(v, 0f);
                v[i] = 1f;
                pe.rotate(v, 0, pos);
                for (int j = 0; j < headDim; j++) {
                    if (j == i || v[j] == 0f) continue;
                    if (partner[i] != -1 && partner[i] != j) {
                        throw unsupported(name, "its rotate() mixes dimension " + i + " with more than one other");
                    }
                    partner[i] = j;
                }
            }
        }
        int[] pairs = new int[headDim];
        int n = 0;
        for (int i = 0; i < headDim; i++) {
            int j = partner[i];
            if (j == -1 || j < i) continue;
            if (partner[j] != i) throw unsupported(name, "its rotate() does not mix dimensions in pairs");
            pairs[n++] = i;
            pairs[n++] = j;
        }
        return Arrays.copyOf(pairs, n);
    }

    /** Each pair's 2×2 matrix per position, read from two probes: all first members set, then all second. */
    private static float[] rotation(PositionalEncoder pe, String name, int headDim, int positions, int[] pairs) {
        int nPairs = pairs.length / 2;
        float[] table = new float[Math.multiplyExact(Math.multiplyExact(positions, nPairs), 4)];
        float[] first = new float[headDim], second = new float[headDim], x = new float[headDim], y = new float[headDim];
        SplittableRandom random = new SplittableRandom(2);
        for (int pos = 0; pos < positions; pos++) {
            Arrays.fill(first, 0f);
            Arrays.fill(second, 0f);
            for (int p = 0; p < nPairs; p++) {
                first[pairs[2 * p]] = 1f;
                second[pairs[2 * p + 1]] = 1f;
            }
            pe.rotate(first, 0, pos);
            pe.rotate(second, 0, pos);
            int t = pos * nPairs * 4;
            for (int p = 0; p < nPairs; p++, t += 4) {
                int i = pairs[2 * p], j = pairs[2 * p + 1];
                table[t] = first[i];
                table[t + 1] = second[i];
                table[t + 2] = first[j];
                table[t + 3] = second[j];
            }
            // Check the table against rotate() on a random vector; unpaired dimensions must stay as they are.
            for (int d = 0; d < headDim; d++) x[d] = y[d] = (float) random.nextGaussian();
            pe.rotate(y, 0, pos);
            float[] want = x.clone();
            t = pos * nPairs * 4;
            for (int p = 0; p < nPairs; p++, t += 4) {
                int i = pairs[2 * p], j = pairs[2 * p + 1];
                want[i] = table[t] * x[i] + table[t + 1] * x[j];
                want[j] = table[t + 2] * x[i] + table[t + 3] * x[j];
            }
            for (int d = 0; d < headDim; d++) {
                if (!close(y[d], want[d], Math.abs(x[d]) + 1f)) {
                    throw unsupported(name, "its rotate() is not a set of 2-D rotations of fixed dimension pairs (position "
                            + pos + ", dimension " + d + ")");
                }
            }
        }
        return table;
    }

    /** Bias per head and distance, read at the last query position and checked at others. */
    private static float[] bias(PositionalEncoder pe, String name, int nHead, int positions) {
        float[] table = new float[Math.multiplyExact(nHead, positions)];
        float[] scores = new float[positions];
        int last = positions - 1;
        for (int h = 0; h < nHead; h++) {
            Arrays.fill(scores, 0f);
            pe.scoreBias(h, last, 0, scores, 0, positions);
            for (int k = 0; k <= last; k++) table[h * positions + (last - k)] = scores[k];
        }
        // The device indexes the table by distance alone: check that at a spread of query positions.
        for (int q : new int[]{0, 1, last / 3, last / 2, last - 1}) {
            if (q < 0 || q >= last) continue;
            for (int h = 0; h < nHead; h++) {
                Arrays.fill(scores, 0f);
                pe.scoreBias(h, q, 0, scores, 0, q + 1);
                for (int k = 0; k <= q; k++) {
                    float want = table[h * positions + (q - k)];
                    if (!close(scores[k], want, Math.abs(want))) {
                        throw unsupported(name, "its scoreBias() depends on more than the query–key distance (head "
                                + h + ", query " + q + ", key " + k + ")");
                    }
                }
            }
        }
        return table;
    }

    private static boolean close(float got, float want, float scale) {
        return Math.abs(got - want) <= TOLERANCE * Math.max(scale, 1f);
    }

    private static IllegalArgumentException unsupported(String name, String why) {
        return new IllegalArgumentException("the tornadovm backend cannot run positional encoding '" + name + "': " + why
                + "; use --backend cpu");
    }
}
