package dev.rill.backend.cpu;

import dev.rill.spi.Architecture;
import dev.rill.spi.Linear;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.Tensor;

/**
 * The forward pass written out from the model description, as plainly as possible: every sum in
 * double, one token after another over the whole sequence, no cache, no tiling, no threads. The
 * independent check of what the cpu backend computes from the same {@link ModelWeights}.
 */
final class ReferenceForward {

    private final ModelWeights w;
    private final Architecture a;
    private final PositionalEncoder pe;

    ReferenceForward(ModelWeights w) {
        this.w = w;
        this.a = w.arch();
        this.pe = w.positional();
    }

    /** A key or value as the backend's cache holds it: computed in float, stored as a half (saturating at the largest, ±65504). */
    private static double[] cached(double[] x) {
        for (int i = 0; i < x.length; i++) x[i] = Float.float16ToFloat(Float.floatToFloat16(Math.clamp((float) x[i], -65504f, 65504f)));
        return x;
    }

    /** Logits after the last of {@code tokens}, the sequence starting at position 0. */
    double[] logits(int[] tokens) {
        int n = tokens.length, C = a.nEmb(), hs = a.headDim();
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            float[] row = new float[C];
            w.tokenEmbedding().dequantizeRow(tokens[t], row, 0);
            for (int i = 0; i < C; i++) row[i] *= a.embeddingScale();
            if (pe.addsToEmbeddings()) pe.embed(w.positionalWeights(), row, 0, t);
            x[t] = toDouble(row);
        }
        for (int layer = 0; layer < w.blocks().size(); layer++) {
            ModelWeights.Block b = w.blocks().get(layer);
            PositionalEncoder pe = w.positional(layer);
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = norm(b.attnNorm(), x[t]);
                q[t] = headwise(linear(b.q(), h, n), b.qNorm(), a.nHead(), t, pe);
                k[t] = cached(headwise(linear(b.k(), h, n), b.kNorm(), a.nKvHead(), t, pe));
                v[t] = cached(linear(b.v(), h, n));
            }
            for (int t = 0; t < n; t++) {
                double[] att = new double[a.qDim()];
                for (int head = 0; head < a.nHead(); head++) {
                    int kvh = head / (a.nHead() / a.nKvHead());
                    // Keys this query sees: all before it, or the last slidingWindow positions.
                    int first = b.slidingWindow() > 0 ? Math.max(0, t - b.slidingWindow() + 1) : 0, m = t + 1 - first;
                    float[] scores = new float[m];
                    for (int j = 0; j < m; j++) {
                        double s = 0;
                        for (int i = 0; i < hs; i++) s += q[t][head * hs + i] * k[first + j][kvh * hs + i];
                        s *= a.attnScale();
                        if (a.attnSoftcap() > 0) s = a.attnSoftcap() * Math.tanh(s / a.attnSoftcap());
                        scores[j] = (float) s;
                    }
                    if (pe.biasesScores()) pe.scoreBias(head, t, first, scores, 0, m);
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (float s : scores) max = Math.max(max, s);
                    double[] p = new double[m];
                    for (int j = 0; j < m; j++) sum += p[j] = Math.exp(scores[j] - max);
                    for (int j = 0; j < m; j++) {
                        for (int i = 0; i < hs; i++) att[head * hs + i] += p[j] / sum * v[first + j][kvh * hs + i];
                    }
                }
                double[] o = linear(b.o(), att, n);
                add(x[t], b.postAttnNorm() != null ? norm(b.postAttnNorm(), o) : o);
            }
            for (int t = 0; t < n; t++) {
                double[] h = norm(b.mlpNorm(), x[t]);
                double[] up = linear(b.up(), h, n);
                double[] act = new double[up.length];
                switch (a.activation()) {
                    case SWIGLU -> {
                        double[] gate = linear(b.gate(), h, n);
                        for (int i = 0; i < up.length; i++) act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                    }
                    case GEGLU -> {
                        double[] gate = linear(b.gate(), h, n);
                        for (int i = 0; i < up.length; i++) act[i] = gelu(gate[i]) * up[i];
                    }
                    case GELU_TANH -> {
                        for (int i = 0; i < up.length; i++) act[i] = gelu(up[i]);
                    }
                }
                double[] down = linear(b.down(), act, n);
                add(x[t], b.postMlpNorm() != null ? norm(b.postMlpNorm(), down) : down);
            }
        }
        double[] logits = linear(w.output(), norm(w.finalNorm(), x[n - 1]), 1);
        if (a.finalSoftcap() > 0) for (int i = 0; i < logits.length; i++) logits[i] = a.finalSoftcap() * Math.tanh(logits[i] / a.finalSoftcap());
        return logits;
    }

    private static double gelu(double u) {
        return 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)));
    }

    /** Per-head RMSNorm (when the model has one), then the positional rotation, of one row's heads. */
    private double[] headwise(double[] y, Tensor headNorm, int heads, int pos, PositionalEncoder pe) {
        int hs = a.headDim();
        float[] f = new float[y.length];
        for (int h = 0; h < heads; h++) {
            double[] head = java.util.Arrays.copyOfRange(y, h * hs, (h + 1) * hs);
            if (headNorm != null) head = rms(head, headNorm.toFloats());
            for (int i = 0; i < hs; i++) f[h * hs + i] = (float) head[i];
            if (pe.rotates()) pe.rotate(f, h * hs, pos);
        }
        return toDouble(f);
    }

    private double[] norm(ModelWeights.NormWeights n, double[] x) {
        float[] g = n.weight().toFloats();
        if (a.norm() == Architecture.Norm.RMS_NORM) return rms(x, g);
        double mean = 0, var = 0;
        for (double v : x) mean += v / x.length;
        for (double v : x) var += (v - mean) * (v - mean) / x.length;
        float[] bias = n.bias().toFloats();
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (x[i] - mean) / Math.sqrt(var + a.normEps()) * g[i] + bias[i];
        return out;
    }

    private double[] rms(double[] x, float[] g) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double r = 1 / Math.sqrt(ss / x.length + a.normEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * r * g[i];
        return out;
    }

    /** {@code y = x·W + b} in either layout, from the decoded weights. */
    /**
     * {@link #linear(Linear, double[])} as the cpu backend computes it for a call of {@code rows}
     * rows: where its integer kernels take the weights ({@link MatMul#integerPath}), with the
     * activations quantized to int8 first, as those kernels quantize them.
     */
    static double[] linear(Linear l, double[] x, int rows) {
        if (!(l.weight() instanceof dev.rill.spi.MappedTensor m) || !MatMul.integerPath(m, rows)) return linear(l, x);
        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) xf[i] = (float) x[i];
        return linear(l, toDouble(Int8Activations.of(xf, 1, x.length, PackedWeights.activationBlock(m.type())).toFloats()));
    }

    static double[] linear(Linear l, double[] x) {
        float[] w = l.weight().toFloats();
        int in = l.in(), out = l.out(), cols = l.weight().cols();
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) s += x[i] * (l.layout() == Linear.Layout.OUT_IN ? w[o * cols + i] : w[i * cols + o]);
            y[o] = s;
        }
        if (l.bias() != null) {
            float[] b = l.bias().toFloats();
            for (int o = 0; o < out; o++) y[o] += b[o];
        }
        return y;
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
