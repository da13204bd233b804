package dev.rill.tensor;

import dev.rill.spi.F32Tensor;
import dev.rill.spi.Linear;
import dev.rill.spi.Tensor;

/**
 * {@code y = x·W + b} for a {@link Linear} of any layout, over {@code M} rows: the one entry point
 * inference uses for every weight matrix, whatever its storage (heap float32, or a
 * {@link MappedTensor} in F32/F16/BF16/Q8_0/Q4_0/Q4_K/Q5_K/Q6_K).
 *
 * <p>Mapped weights: a few rows (decode) take one {@link QuantDot} per (row, output), spread over
 * the cores by output (Q4_0 with the rows quantized to int8 first, {@link Int8Activations}; F32
 * in tiles of 4 outputs, {@link F32Tiles}); many rows (a prompt) take matrix–matrix tiles
 * ({@link #rowTiles}): each task decodes a few weight rows into a small float buffer and multiplies
 * them with every row of {@code x}, so each weight is decoded once per call rather than once per
 * token.
 */
public final class MatMul {

    /** From this many rows on, row tiles beat per-row dot products. */
    static final int TILES_MIN_ROWS = 6;
    /**
     * Mapped F32 weights take {@link F32Tiles} (read in place) below this many rows: measured on
     * one core, 16 GFLOP/s at 8 rows against 14 for row tiles, whose 16-row panels of {@code x}
     * are half empty there; 18 against 25 at 16 rows, 19 against 30 at 48.
     */
    static final int F32_TILES_MAX_ROWS = 12;

    private MatMul() {
    }

    /** {@code y (M, out) = x (M, in) · W + b}. */
    public static void forward(Linear lin, float[] x, int M, float[] y) {
        int in = lin.in(), out = lin.out();
        Tensor w = lin.weight();
        if (w instanceof F32Tensor f) {
            if (lin.layout() == Linear.Layout.IN_OUT) {
                Gemm.gemm(M, out, in, x, 0, in, 1, f.data(), f.offset(), f.rowStride(), y, 0, out, false);
            } else {
                outIn(f, x, M, y, in, out);
            }
        } else if (w instanceof MappedTensor m) {
            if (lin.layout() != Linear.Layout.OUT_IN) throw new UnsupportedOperationException("mapped " + m.type() + " weights must be OUT_IN (rows are outputs)");
            if (m.type() == Tensor.DType.F32 && QuantDot.VECTOR && M < F32_TILES_MAX_ROWS) {
                int groups = (out + F32Tiles.NR - 1) / F32Tiles.NR;
                Parallel.forRange(groups, 8, (g0, g1) ->
                        F32Tiles.rows(m.data(), x, M, y, in, out, g0 * F32Tiles.NR, Math.min(out, g1 * F32Tiles.NR)));
            } else if (M < TILES_MIN_ROWS) mappedRows(m, x, M, y, in, out);
            else rowTiles(m, x, M, y, in, out);
        } else {
            throw new UnsupportedOperationException("no CPU matmul for weights of type " + w.type() + " in " + w.getClass().getSimpleName()
                    + " (supported: heap F32, or mapped F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
        }
        if (lin.bias() != null) {
            F32Tensor b = (F32Tensor) lin.bias();
            for (int m = 0; m < M; m++) Vec.add(b.data(), b.offset(), y, m * out, out);
        }
    }

    /** Rows of W are outputs: each output is a dot product of an input row with a weight row. */
    private static void outIn(F32Tensor w, float[] x, int M, float[] y, int in, int out) {
        float[] data = w.data();
        int base = w.offset(), stride = w.rowStride();
        Parallel.forRange(out, 16, (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                int row = base + o * stride;
                for (int m = 0; m < M; m++) y[m * out + o] = Vec.dot(x, m * in, data, row, in);
            }
        });
    }

    private static void mappedRows(MappedTensor w, float[] x, int M, float[] y, int in, int out) {
        long rowBytes = w.rowBytes();
        if (QuantDot.integerKernel(w.type())) {
            Int8Activations[] xq = new Int8Activations[M];
            for (int m = 0; m < M; m++) xq[m] = Int8Activations.of(x, m * in, in);
            Parallel.forRange(out, 32, (o0, o1) -> {
                for (int o = o0; o < o1; o++) {
                    for (int m = 0; m < M; m++) y[m * out + o] = QuantDot.dot(w.type(), w.data(), o * rowBytes, xq[m], in);
                }
            });
            return;
        }
        Parallel.forRange(out, 32, (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                long off = o * rowBytes;
                for (int m = 0; m < M; m++) y[m * out + o] = QuantDot.dot(w.type(), w.data(), off, x, m * in, in);
            }
        });
    }

    /** Weight rows per tile of {@link #rowTiles}. */
    private static final int WR = 6;

    /**
     * {@code y = x·Wᵀ} for many rows of {@code x}, computed as {@code yᵀ = W·xᵀ}: {@code x} is
     * transposed once into panels of {@link Gemm#NR} rows ({@code xT[p·in·NR + k·NR + j] =
     * x[p·NR + j, k]}, missing rows zero), and each task decodes {@link #WR} weight rows at a time
     * into a small float buffer, as they are stored (no transposing of weights), then multiplies
     * them with every panel in a 6 × 16 register tile: each weight is decoded once per call.
     */
    private static void rowTiles(MappedTensor w, float[] x, int M, float[] y, int in, int out) {
        int np = Gemm.NR, xPanels = (M + np - 1) / np;
        float[] xT = new float[xPanels * in * np];
        for (int m = 0; m < M; m++) {
            int base = m / np * in * np + m % np, xo = m * in;
            for (int k = 0; k < in; k++) xT[base + k * np] = x[xo + k];
        }
        int groups = (out + WR - 1) / WR;
        Parallel.forRange(groups, 1, (g0, g1) -> {
            float[] rows = new float[WR * in];
            float[] tile = new float[WR * np];
            for (int g = g0; g < g1; g++) {
                int o0 = g * WR, nr = Math.min(WR, out - o0);
                for (int r = 0; r < nr; r++) w.dequantizeRow(o0 + r, rows, r * in);
                if (nr < WR) java.util.Arrays.fill(rows, nr * in, WR * in, 0f);
                for (int p = 0; p < xPanels; p++) {
                    rowTile(rows, in, xT, p * in * np, tile);
                    int m0 = p * np, nm = Math.min(np, M - m0);
                    for (int r = 0; r < nr; r++) {
                        for (int j = 0; j < nm; j++) y[(m0 + j) * out + o0 + r] = tile[r * np + j];
                    }
                }
            }
        });
    }

    /** {@code tile (WR × NR) = w (WR rows of length in) · the xT panel at xo (in × NR)}. */
    private static void rowTile(float[] w, int in, float[] xT, int xo, float[] tile) {
        var S = Gemm.S;
        int L = Gemm.L, np = Gemm.NR;
        var z = jdk.incubator.vector.FloatVector.zero(S);
        var c00 = z; var c01 = z; var c10 = z; var c11 = z; var c20 = z; var c21 = z;
        var c30 = z; var c31 = z; var c40 = z; var c41 = z; var c50 = z; var c51 = z;
        int w1 = in, w2 = 2 * in, w3 = 3 * in, w4 = 4 * in, w5 = 5 * in;
        for (int k = 0; k < in; k++) {
            var b0 = jdk.incubator.vector.FloatVector.fromArray(S, xT, xo + np * k);
            var b1 = jdk.incubator.vector.FloatVector.fromArray(S, xT, xo + np * k + L);
            var a = jdk.incubator.vector.FloatVector.broadcast(S, w[k]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = jdk.incubator.vector.FloatVector.broadcast(S, w[w1 + k]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = jdk.incubator.vector.FloatVector.broadcast(S, w[w2 + k]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = jdk.incubator.vector.FloatVector.broadcast(S, w[w3 + k]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = jdk.incubator.vector.FloatVector.broadcast(S, w[w4 + k]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = jdk.incubator.vector.FloatVector.broadcast(S, w[w5 + k]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, np); c11.intoArray(tile, np + L);
        c20.intoArray(tile, 2 * np); c21.intoArray(tile, 2 * np + L);
        c30.intoArray(tile, 3 * np); c31.intoArray(tile, 3 * np + L);
        c40.intoArray(tile, 4 * np); c41.intoArray(tile, 4 * np + L);
        c50.intoArray(tile, 5 * np); c51.intoArray(tile, 5 * np + L);
    }
}
