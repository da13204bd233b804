package dev.rill.tensor;

import dev.rill.spi.F32Tensor;
import dev.rill.spi.Linear;
import dev.rill.spi.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x·W + b} for a {@link Linear} of any layout, over {@code M} rows: the one entry point
 * inference uses for every weight matrix, whatever its storage (heap float32, or a
 * {@link MappedTensor} in F32/F16/BF16/Q8_0/Q4_0/Q4_K/Q5_K/Q6_K).
 *
 * <p>Mapped weights: a few rows (decode) take one {@link QuantDot} per (row, output), spread over
 * the cores by output (Q4_0 with the rows quantized to int8 first, {@link Int8Activations}; F32
 * in tiles of 4 outputs, {@link F32Tiles}); many rows (a prompt) take matrix–matrix tiles: each task dequantizes a
 * panel of {@link #PANEL} outputs once into a small float buffer and multiplies every row of
 * {@code x} with it in register tiles of 4 rows × 16 outputs ({@code x} packed once per call), so
 * each weight is decoded once
 * per call rather than once per token.
 */
public final class MatMul {

    /** Outputs per dequantized panel (two vectors of 8). */
    static final int PANEL = 16;
    /** From this many rows on, panels beat per-row dot products. */
    static final int PANEL_MIN_ROWS = 6;
    /**
     * Mapped F32 weights take {@link F32Tiles} (read in place) below this many rows: measured on
     * one core, 21–22 GFLOP/s at 8–16 rows against 10–13 for panels, whose copying only pays off
     * from about 32 rows (29 against 22 GFLOP/s at 128).
     */
    static final int F32_TILES_MAX_ROWS = 32;

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
            } else if (M < PANEL_MIN_ROWS) mappedRows(m, x, M, y, in, out);
            else mappedPanels(m, x, M, y, in, out);
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

    private static void mappedPanels(MappedTensor w, float[] x, int M, float[] y, int in, int out) {
        int panels = (out + PANEL - 1) / PANEL;
        float[] xp = packRows(x, M, in);
        Parallel.forRange(panels, 1, (p0, p1) -> {
            float[] panel = new float[in * PANEL];
            float[] rows = new float[PANEL * in];
            float[] tile = new float[MR * PANEL];
            for (int p = p0; p < p1; p++) {
                int r0 = p * PANEL, nr = Math.min(PANEL, out - r0);
                for (int r = 0; r < nr; r++) w.dequantizeRow(r0 + r, rows, r * in);
                // Transposed 64 columns at a time, so the part of the panel being written stays in L1.
                for (int k0 = 0; k0 < in; k0 += 64) {
                    int k1 = Math.min(in, k0 + 64);
                    for (int r = 0; r < nr; r++) {
                        for (int k = k0, ri = r * in; k < k1; k++) panel[k * PANEL + r] = rows[ri + k];
                    }
                }
                for (int m = 0; m < M; m += MR) {
                    tile(xp, m * in, in, panel, tile);
                    for (int i = 0; i < Math.min(MR, M - m); i++) System.arraycopy(tile, i * PANEL, y, (m + i) * out + r0, nr);
                }
            }
        });
    }

    /** Rows of x per tile. */
    private static final int MR = 4;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    /**
     * {@code x} in groups of {@link #MR} rows, each group column-major ({@code xp[g·MR·in + MR·k + i]
     * = x[g·MR + i, k]}, missing rows zero): the tile then reads its four values for step {@code k}
     * side by side, with one index the compiler can check once per loop instead of per load (about
     * 1.4× the speed of reading {@code x} through row strides, measured).
     */
    private static float[] packRows(float[] x, int M, int in) {
        float[] xp = new float[(M + MR - 1) / MR * MR * in];
        for (int m = 0; m < M; m++) {
            int g = m / MR * MR * in + m % MR, xo = m * in;
            for (int k = 0; k < in; k++) xp[g + MR * k] = x[xo + k];
        }
        return xp;
    }

    /** {@code tile (4 × 16) = rows of xp from xo (4 rows, packed) · panel (in × 16)}. */
    private static void tile(float[] xp, int xo, int in, float[] panel, float[] tile) {
        FloatVector c00 = FloatVector.zero(F8), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int k = 0; k < in; k++) {
            FloatVector b0 = FloatVector.fromArray(F8, panel, PANEL * k), b1 = FloatVector.fromArray(F8, panel, PANEL * k + 8);
            int a = xo + MR * k;
            FloatVector av = FloatVector.broadcast(F8, xp[a]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(F8, xp[a + 1]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(F8, xp[a + 2]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(F8, xp[a + 3]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, 8);
        c10.intoArray(tile, 16); c11.intoArray(tile, 24);
        c20.intoArray(tile, 32); c21.intoArray(tile, 40);
        c30.intoArray(tile, 48); c31.intoArray(tile, 56);
    }
}
