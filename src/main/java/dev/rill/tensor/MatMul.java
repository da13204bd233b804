package dev.rill.tensor;

import dev.rill.spi.F32Tensor;
import dev.rill.spi.Linear;
import dev.rill.spi.Tensor;

/**
 * {@code y = x·W + b} for a {@link Linear} of any layout, over {@code M} rows: the one entry point
 * inference uses for every weight matrix, whatever its storage.
 */
public final class MatMul {

    private MatMul() {
    }

    /** {@code y (M, out) = x (M, in) · W + b}. */
    public static void forward(Linear lin, float[] x, int M, float[] y) {
        int in = lin.in(), out = lin.out();
        Tensor w = lin.weight();
        if (!(w instanceof F32Tensor f)) {
            throw new UnsupportedOperationException("no CPU matmul for weights of type " + w.type() + " (supported: F32)");
        }
        if (lin.layout() == Linear.Layout.IN_OUT) {
            Gemm.gemm(M, out, in, x, 0, in, 1, f.data(), f.offset(), f.rowStride(), y, 0, out, false);
        } else {
            outIn(f, x, M, y, in, out);
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
}
