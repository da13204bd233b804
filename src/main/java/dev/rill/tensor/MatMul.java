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
 * the cores by output; many rows (a prompt) take matrix–matrix tiles: each task dequantizes a
 * panel of {@link #PANEL} outputs once into a small float buffer and multiplies every row of
 * {@code x} with it through {@link Gemm}'s register-blocked kernel, so each weight is decoded once
 * per call rather than once per token.
 */
public final class MatMul {

    /** Outputs per dequantized panel (two Gemm vector columns). */
    static final int PANEL = 16;
    /** From this many rows on, panels beat per-row dot products. */
    static final int PANEL_MIN_ROWS = 6;

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
            if (M < PANEL_MIN_ROWS) mappedRows(m, x, M, y, in, out);
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
        Parallel.forRange(out, 32, (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                long off = o * rowBytes;
                for (int m = 0; m < M; m++) y[m * out + o] = QuantDot.dot(w.type(), w.data(), off, x, m * in, in);
            }
        });
    }

    private static void mappedPanels(MappedTensor w, float[] x, int M, float[] y, int in, int out) {
        int panels = (out + PANEL - 1) / PANEL;
        Parallel.forRange(panels, 1, (p0, p1) -> {
            float[] panel = new float[in * PANEL];
            float[] row = new float[in];
            for (int p = p0; p < p1; p++) {
                int r0 = p * PANEL, nr = Math.min(PANEL, out - r0);
                for (int r = 0; r < nr; r++) {
                    w.dequantizeRow(r0 + r, row, 0);
                    for (int k = 0; k < in; k++) panel[k * PANEL + r] = row[k];
                }
                Gemm.serial(M, nr, in, x, 0, in, 1, panel, 0, PANEL, y, r0, out, false);
            }
        });
    }
}
