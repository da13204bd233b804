package dev.rill.positional;

import dev.rill.spi.ModelShape;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;

import java.util.List;

/**
 * Rotary position embedding (RoPE, Su et al. 2021): each head's query and key are rotated, pair of
 * dimensions {@code i} by the angle {@code pos·θ_i} with {@code θ_i = base^(−2i/headDim)},
 * {@code i = 0 .. headDim/2−1}. A rotation is orthogonal, so
 * {@code ⟨R(m)q, R(n)k⟩ = ⟨q, R(n−m)k⟩}: attention sees only the offset between positions.
 *
 * <h2>Pairings</h2>
 * Which two dimensions form pair {@code i} is a convention, and checkpoints carry it:
 * <ul>
 *   <li>{@code adjacent} — {@code (x[2i], x[2i+1])}, as in Meta's Llama code (one complex number per pair);</li>
 *   <li>{@code half} — {@code (x[i], x[i+headDim/2])}, Hugging Face's {@code rotate_half} (GPT-NeoX, Qwen).</li>
 * </ul>
 * The two give identical attention once the query and key projections are permuted per head: the
 * {@code half} model's output dimension {@code j} of each head is the {@code adjacent} model's
 * dimension {@link #halfFromAdjacent}{@code (headDim)[j]}, that is {@code 2j} for {@code j < headDim/2}
 * and {@code 2(j−headDim/2)+1} above (weights and biases of q and k alike; values, output
 * projection and everything else unchanged). This is the permutation Hugging Face applies when it
 * converts Meta's Llama checkpoints.
 *
 * <h2>Scaling (context extension)</h2>
 * {@code linear} divides every {@code θ_i} by {@code factor} (position interpolation).
 * {@code llama3} follows Llama 3.1: with wavelength {@code λ_i = 2π/θ_i}, {@code L = original_context},
 * frequencies with {@code λ_i < L/high_freq_factor} stay, those with {@code λ_i > L/low_freq_factor}
 * are divided by {@code factor}, and between them {@code s = (L/λ_i − low_freq_factor)/(high_freq_factor − low_freq_factor)}
 * blends {@code θ_i' = (1−s)·θ_i/factor + s·θ_i}.
 *
 * <h2>Beyond the context</h2>
 * The rotation is defined at every position, so the model runs up to the configured maximum
 * context. Past the training {@code T} the pairs with long wavelengths reach angles never seen in
 * training; scaling is the usual remedy when fine-tuning for a longer context.
 */
public final class RotaryPositions implements PositionalEncoding {

    @Override
    public String name() {
        return "rope";
    }

    @Override
    public String description() {
        return "rotary position embedding: rotates each head's queries and keys by pos·base^(−2i/headDim)";
    }

    @Override
    public List<ParamSpec> parameters() {
        double inf = Double.POSITIVE_INFINITY;
        return List.of(
                ParamSpec.realAbove("base", 10000, 0, inf, "θ base (rope_theta): θ_i = base^(−2i/headDim); Llama 3 uses 500000"),
                ParamSpec.choice("pairing", "adjacent", List.of("adjacent", "half"),
                        "which dimensions rotate together: adjacent (x[2i], x[2i+1]), Meta; half (x[i], x[i+headDim/2]), Hugging Face"),
                ParamSpec.choice("scaling", "none", List.of("none", "linear", "llama3"),
                        "frequency scaling for a longer context: none, linear (θ/factor) or llama3 (Llama 3.1)"),
                ParamSpec.realAbove("factor", 1, 0, inf, "context extension factor of linear and llama3 scaling"),
                ParamSpec.realAbove("low_freq_factor", 1, 0, inf, "llama3 scaling: wavelengths above original_context/low_freq_factor are divided by factor"),
                ParamSpec.realAbove("high_freq_factor", 4, 0, inf, "llama3 scaling: wavelengths below original_context/high_freq_factor are kept"),
                ParamSpec.integer("original_context", 8192, 1, Integer.MAX_VALUE, "llama3 scaling: the context the frequencies were trained for"));
    }

    @Override
    public PositionalEncoder create(ModelShape shape, Params given) {
        Params params = params(given.asMap());
        int hs = shape.headDim();
        if (hs <= 0 || hs % 2 != 0) {
            throw new IllegalArgumentException("rope rotates pairs of dimensions, so the head dimension must be even; got headDim "
                    + hs + " (nEmb " + shape.nEmb() + " / nHead " + shape.nHead() + ")");
        }
        checkScaling(params);
        double[] theta = frequencies(hs, params);
        int half = hs / 2;
        // Row of position p: cos(p·θ_0..θ_{h−1}) then sin(p·θ_0..θ_{h−1}).
        PositionTable table = new PositionTable(name(), hs, shape.maxContext(), (pos, t, off) -> {
            for (int i = 0; i < half; i++) {
                double angle = pos * theta[i];
                t[off + i] = (float) Math.cos(angle);
                t[off + half + i] = (float) Math.sin(angle);
            }
        });
        return new Encoder(shape, params, table, params.getString("pairing").equals("half"));
    }

    /**
     * The per-head permutation that turns a q or k projection trained with {@code adjacent} pairing
     * into one for {@code half}: the half model's dimension {@code j} is the adjacent model's {@code p[j]}.
     */
    public static int[] halfFromAdjacent(int headDim) {
        if (headDim <= 0 || headDim % 2 != 0) throw new IllegalArgumentException("head dimension must be even and > 0; got " + headDim);
        int half = headDim / 2;
        int[] p = new int[headDim];
        for (int j = 0; j < headDim; j++) p[j] = j < half ? 2 * j : 2 * (j - half) + 1;
        return p;
    }

    /** Catches a scaling parameter set for a scaling that does not use it, and an empty llama3 band. */
    private void checkScaling(Params params) {
        String scaling = params.getString("scaling");
        for (ParamSpec spec : parameters()) {
            String name = spec.name();
            boolean usedBy = switch (name) {
                case "factor" -> !scaling.equals("none");
                case "low_freq_factor", "high_freq_factor", "original_context" -> scaling.equals("llama3");
                default -> true;
            };
            Object value = params.asMap().get(name);
            if (!usedBy && ((Number) value).doubleValue() != ((Number) spec.defaultValue()).doubleValue()) {
                throw new IllegalArgumentException("rope parameter '" + name + "' (" + value + ") applies only with scaling "
                        + (name.equals("factor") ? "linear or llama3" : "llama3") + "; scaling is " + scaling);
            }
        }
        if (scaling.equals("llama3") && params.getDouble("high_freq_factor") <= params.getDouble("low_freq_factor")) {
            throw new IllegalArgumentException("rope llama3 scaling needs high_freq_factor > low_freq_factor; got "
                    + params.getDouble("high_freq_factor") + " and " + params.getDouble("low_freq_factor"));
        }
    }

    /** θ_i for {@code i < headDim/2}, after scaling. */
    private static double[] frequencies(int headDim, Params params) {
        double base = params.getDouble("base"), factor = params.getDouble("factor");
        double[] theta = new double[headDim / 2];
        for (int i = 0; i < theta.length; i++) theta[i] = Math.pow(base, -2.0 * i / headDim);
        switch (params.getString("scaling")) {
            case "linear" -> {
                for (int i = 0; i < theta.length; i++) theta[i] /= factor;
            }
            case "llama3" -> {
                double low = params.getDouble("low_freq_factor"), high = params.getDouble("high_freq_factor");
                double context = params.getInt("original_context");
                for (int i = 0; i < theta.length; i++) {
                    double wavelength = 2 * Math.PI / theta[i];
                    if (wavelength > context / low) {
                        theta[i] /= factor;
                    } else if (wavelength >= context / high) {
                        double s = (context / wavelength - low) / (high - low);
                        theta[i] = (1 - s) * theta[i] / factor + s * theta[i];
                    }
                }
            }
            default -> {
            }
        }
        return theta;
    }

    private record Encoder(ModelShape shape, Params params, PositionTable table, boolean halfPairing)
            implements PositionalEncoder {

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
            turn(v, off, pos, 1f);
        }

        /** The transpose of a rotation is the rotation by the opposite angle. */
        @Override
        public void rotateBackward(float[] dv, int off, int pos) {
            turn(dv, off, pos, -1f);
        }

        private void turn(float[] v, int off, int pos, float sign) {
            float[] t = table.upTo(pos);
            int half = shape.headDim() / 2, row = pos * shape.headDim();
            // Pair i is (v[a + i·step], v[b + i·step]).
            int a = off, b = halfPairing ? off + half : off + 1, step = halfPairing ? 1 : 2;
            for (int i = 0; i < half; i++) {
                float c = t[row + i], s = sign * t[row + half + i];
                int ia = a + i * step, ib = b + i * step;
                float x0 = v[ia], x1 = v[ib];
                v[ia] = x0 * c - x1 * s;
                v[ib] = x0 * s + x1 * c;
            }
        }
    }
}
