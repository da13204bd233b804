package dev.rill.backend.cpu;

import dev.rill.spi.BlockFormats;
import dev.rill.spi.F32Tensor;
import dev.rill.spi.Linear;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.Tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Block formats and the kernels over them: quantize → dequantize stays within each format's error
 * bound; the vector dot products agree with the scalar definition; {@link MatMul} over mapped
 * weights (decode rows and prompt panels) agrees with a float64 product of the dequantized matrix.
 */
class QuantKernelsTest {

    static float[] gaussian(int n, long seed, float std) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble(), v = r.nextDouble();
            x[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v));
        }
        return x;
    }

    static MappedTensor mapped(DType t, float[] w, int rows, int cols) {
        byte[] bytes = BlockFormats.quantize(t, w, 0, w.length);
        return new MappedTensor(t, rows, cols, MemorySegment.ofArray(bytes));
    }

    /**
     * Round trips: per element, |x − x̂| is at most half a quantization step of its block (plus the
     * fp16 rounding of the scale). The step is derived from the block's own range, as each format
     * defines it; the mean error must also be well below the bound (a uniform rounding error).
     */
    @Test
    void roundTripErrorStaysWithinEachFormatsStep() {
        int n = 4096;
        float[] x = gaussian(n, 7, 1f);
        for (DType t : DType.values()) {
            byte[] q = BlockFormats.quantize(t, x, 0, n);
            assertEquals(BlockFormats.rowBytes(t, n), q.length);
            float[] y = new float[n];
            BlockFormats.dequantize(t, MemorySegment.ofArray(q), 0, y, 0, n);
            double sumErr = 0, sumBound = 0;
            for (int i = 0; i < n; i++) {
                double bound = bound(t, x, i);
                double err = Math.abs(x[i] - y[i]);
                assertTrue(err <= bound, t + " element " + i + ": " + x[i] + " -> " + y[i] + " (bound " + bound + ")");
                sumErr += err;
                sumBound += bound;
            }
            if (t != DType.F32) assertTrue(sumErr < 0.75 * sumBound, t + " mean error " + sumErr / n + " vs bound " + sumBound / n);
            else assertEquals(0, sumErr);
        }
    }

    /** Largest allowed error of element {@code i} under format {@code t}. */
    private static double bound(DType t, float[] x, int i) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> Math.abs(x[i]) * 0x1p-11 + 0x1p-25;
            case BF16 -> Math.abs(x[i]) * 0x1p-8;
            // step d = amax/127; error ≤ d/2, plus d's fp16 rounding times |q| ≤ 127
            case Q8_0 -> amax(x, i, 32) / 127 * (0.5 + 127 * 0x1p-11);
            // step d = amax/8 (the sign-carrying max maps to −8); error ≤ d/2 (and clipping at +7 costs ≤ d)
            case Q4_0 -> amax(x, i, 32) / 8 * (1.0 + 8 * 0x1p-11);
            // per sub-block of 32: step = range/levels rounded up by the 6-bit scale (≤ 2×), plus the
            // 6-bit min's rounding (half a min step) and fp16 rounding of the super-block scales
            case Q4_K -> 1.05 * (range(x, i, 32) / 15 + amaxK(x, i) / 63 * 1.5);
            case Q5_K -> 1.05 * (range(x, i, 32) / 31 + amaxK(x, i) / 63 * 1.5);
            // per 16: step = amax/31, its 8-bit scale rounded up by at most d = max/127 of the block
            case Q6_K -> 1.05 * (amax(x, i, 16) / 31 / 2 + amax(x, i, 256) / 31 / 127 * 32);
        };
    }

    private static double amax(float[] x, int i, int block) {
        int b = i / block * block;
        double m = 0;
        for (int j = b; j < b + block; j++) m = Math.max(m, Math.abs(x[j]));
        return m;
    }

    private static double range(float[] x, int i, int block) {
        int b = i / block * block;
        double lo = 0, hi = 0;
        for (int j = b; j < b + block; j++) {
            lo = Math.min(lo, x[j]);
            hi = Math.max(hi, x[j]);
        }
        return hi - lo;
    }

    private static double amaxK(float[] x, int i) {
        int b = i / 256 * 256;
        double m = 0;
        for (int j = b; j < b + 256; j += 32) m = Math.max(m, range(x, j, 32));
        return m;
    }

    @Test
    void zeroBlocksStayZero() {
        for (DType t : DType.values()) {
            float[] y = new float[512];
            BlockFormats.dequantize(t, MemorySegment.ofArray(BlockFormats.quantize(t, new float[512], 0, 512)), 0, y, 0, 512);
            assertArrayEquals(new float[512], y, 0f, t.toString());
        }
    }

    @Test
    void vectorDotsAgreeWithTheScalarDefinition() {
        int n = 1024;
        float[] w = gaussian(3 * n, 11, 0.5f);
        float[] x = gaussian(n + 8, 12, 1f);
        for (DType t : DType.values()) {
            byte[] q = BlockFormats.quantize(t, w, 0, w.length);
            MemorySegment s = MemorySegment.ofArray(q);
            for (int row = 0; row < 3; row++) {
                long off = row * BlockFormats.rowBytes(t, n);
                float[] deq = new float[n];
                BlockFormats.dequantize(t, s, off, deq, 0, n);
                double exact = 0, mag = 0;
                for (int i = 0; i < n; i++) {
                    exact += (double) deq[i] * x[8 + i];
                    mag += Math.abs((double) deq[i] * x[8 + i]);
                }
                float got = QuantDot.dot(t, s, off, x, 8, n);
                float ref = QuantDot.scalar(t, s, off, x, 8, n);
                assertEquals(exact, got, 1e-5 * mag + 1e-6, t + " vector row " + row);
                assertEquals(exact, ref, 1e-5 * mag + 1e-6, t + " scalar row " + row);
            }
        }
    }

    /** The vector half and bfloat16 conversions give exactly what the scalar ones give, for every finite 16-bit pattern. */
    @Test
    void vectorHalfConversionIsExactForEveryFiniteHalf() {
        byte[] all = new byte[2 * 65536];
        MemorySegment s = MemorySegment.ofArray(all);
        for (int h = 0; h < 65536; h++) s.set(BlockFormats.I16, 2L * h, (short) h);
        for (DType t : new DType[]{DType.F16, DType.BF16}) {
            float[] ref = new float[65536], got = new float[65536];
            BlockFormats.dequantize(t, s, 0, ref, 0, 65536);
            QuantDot.dequantize(t, s, 0, got, 0, 65536);
            for (int h = 0; h < 65536; h++) {
                if (!Float.isFinite(ref[h])) continue; // weights are finite; the fast F16 path does not map Inf/NaN
                assertEquals(Float.floatToRawIntBits(ref[h]), Float.floatToRawIntBits(got[h]), t + " pattern 0x" + Integer.toHexString(h));
            }
        }
    }

    /** One row's dot product for every length around the unrolled and vector widths (their tails included), against float64. */
    @Test
    void floatRowDotProductsMatchFloat64AtEveryLengthAndOffset() {
        for (DType t : new DType[]{DType.F32, DType.F16, DType.BF16}) {
            for (int n = 1; n <= 200; n++) {
                float[] w = gaussian(n, n, 1f), x = gaussian(n + 3, 1000 + n, 1f);
                byte[] q = BlockFormats.quantize(t, w, 0, n);
                float[] deq = new float[n];
                BlockFormats.dequantize(t, MemorySegment.ofArray(q), 0, deq, 0, n);
                double want = 0, scale = 0;
                for (int i = 0; i < n; i++) {
                    want += (double) deq[i] * x[3 + i];
                    scale += Math.abs((double) deq[i] * x[3 + i]);
                }
                float got = QuantDot.dot(t, MemorySegment.ofArray(q), 0, x, 3, n);
                assertEquals(want, got, 1e-6 * scale + 1e-30, t + " n=" + n);
            }
        }
    }

    /**
     * The F16 decode kernel takes activations scaled by {@link QuantDot#XS} and halves scaled by
     * 2^−112: checked at every length 1..200 against float64, for weights from subnormal halves
     * (1e−6) to 1e3 and activations from 1e−7 to 1e4 (without the activations' scale, products of
     * small weights and small activations fall to subnormal floats and lose their precision).
     */
    @Test
    void scaledF16RowDotProductsMatchFloat64AcrossMagnitudes() {
        for (float wStd : new float[]{1e-6f, 1e-3f, 1f, 1e3f}) {
            for (float xStd : new float[]{1e-7f, 1e-3f, 1f, 1e4f}) {
                for (int n = 1; n <= 200; n++) {
                    float[] w = gaussian(n, 7 * n, wStd), x = gaussian(n + 5, 2000 + n, xStd);
                    byte[] q = BlockFormats.quantize(DType.F16, w, 0, n);
                    float[] deq = new float[n];
                    BlockFormats.dequantize(DType.F16, MemorySegment.ofArray(q), 0, deq, 0, n);
                    float[] xs = new float[x.length];
                    for (int i = 0; i < x.length; i++) xs[i] = x[i] * QuantDot.XS;
                    double want = 0, scale = 0;
                    for (int i = 0; i < n; i++) {
                        want += (double) deq[i] * x[5 + i];
                        scale += Math.abs((double) deq[i] * x[5 + i]);
                    }
                    float got = QuantDot.f16Scaled(MemorySegment.ofArray(q), 0, xs, 5, n);
                    assertEquals(want, got, 1e-6 * scale + 1e-40, "w std " + wStd + ", x std " + xStd + ", n=" + n);
                }
            }
        }
    }

    /** The four-row F16 kernel gives each row what the one-row kernel gives it, at every length 1..200 (tails included). */
    @Test
    void fourRowF16DotProductsMatchFloat64() {
        for (int n = 1; n <= 200; n++) {
            float[] w = gaussian(4 * n, 11 * n, 0.5f), x = gaussian(n + 2, 3000 + n, 1f);
            byte[] q = BlockFormats.quantize(DType.F16, w, 0, w.length);
            float[] deq = new float[4 * n];
            BlockFormats.dequantize(DType.F16, MemorySegment.ofArray(q), 0, deq, 0, 4 * n);
            float[] xs = new float[x.length];
            for (int i = 0; i < x.length; i++) xs[i] = x[i] * QuantDot.XS;
            float[] y = new float[5];
            QuantDot.f16x4Scaled(MemorySegment.ofArray(q), 0, 2L * n, xs, 2, n, y, 1);
            for (int r = 0; r < 4; r++) {
                double want = 0, scale = 0;
                for (int i = 0; i < n; i++) {
                    want += (double) deq[r * n + i] * x[2 + i];
                    scale += Math.abs((double) deq[r * n + i] * x[2 + i]);
                }
                assertEquals(want, y[1 + r], 1e-6 * scale + 1e-30, "row " + r + " n=" + n);
            }
            assertEquals(0f, y[0], "nothing written before yo");
        }
    }

    /** Wide F16 rows (the four-row decode path, {@link MatMul#WIDE_F16}) with a ragged number of outputs, against float64. */
    @Test
    void wideF16RowsMatchFloat64() {
        int in = MatMul.WIDE_F16 + 32, out = 23;
        float[] wf = gaussian(in * out, 24, 0.05f);
        MappedTensor w = mapped(DType.F16, wf, out, in);
        Linear lin = new Linear(w, null, Linear.Layout.OUT_IN);
        for (int M : new int[]{1, 2}) {
            float[] x = gaussian(M * in, 70 + M, 1f);
            float[] y = new float[M * out];
            MatMul.forward(lin, x, M, y);
            double[] ref = reference(w, x, M);
            for (int i = 0; i < y.length; i++) assertEquals(ref[i], y[i], 1e-5 * Math.sqrt(in), "M=" + M + " element " + i);
        }
    }

    /** Reference y = x·Wᵀ in float64 from the dequantized weights: the scalar definition the kernels are tested against. */
    static double[] reference(MappedTensor w, float[] x, int M) {
        float[] deq = w.toFloats();
        int in = w.cols(), out = w.rows();
        double[] y = new double[M * out];
        for (int m = 0; m < M; m++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int k = 0; k < in; k++) s += (double) x[m * in + k] * deq[o * in + k];
                y[m * out + o] = s;
            }
        }
        return y;
    }

    @Test
    void matMulOverMappedWeightsMatchesFloat64ForDecodeAndPromptShapes() {
        int in = 512, out = 37; // 37: panels with a ragged last panel
        float[] wf = gaussian(in * out, 21, 0.3f);
        float[] bias = gaussian(out, 22, 1f);
        for (DType t : DType.values()) {
            MappedTensor w = mapped(t, wf, out, in);
            Linear lin = new Linear(w, F32Tensor.vector(bias, 0, out), Linear.Layout.OUT_IN);
            for (int M : new int[]{1, 3, MatMul.PANEL_MIN_ROWS, 13, 40}) {
                float[] x = gaussian(M * in, 30 + M, 1f);
                float[] y = new float[M * out];
                MatMul.forward(lin, x, M, y);
                // Decode rows of types with an integer kernel multiply int8-quantized activations:
                // the reference then takes those same activations (their error is tested below).
                double[] ref = reference(w, MatMul.integerPath(w, M) ? int8Rows(x, M, in, PackedWeights.activationBlock(t)) : x, M);
                for (int i = 0; i < y.length; i++) {
                    assertEquals(ref[i] + bias[i % out], y[i], 2e-4 * Math.sqrt(in), t + " M=" + M + " element " + i);
                }
            }
        }
    }

    /**
     * Float weights of any length (a tail of the 4-input step, of a vector) and any number of outputs
     * (a ragged last panel), at every row count from decode to prompt: the repacked panels
     * ({@link FloatPanels}, through MatMul) for F32, F16 and BF16, and the in-place F32 tiles
     * ({@link F32Tiles}, what a matrix the heap cannot take is read with).
     */
    @Test
    void floatPanelsAndInPlaceTilesHandleRaggedShapes() {
        for (int[] shape : new int[][]{{100, 21}, {7, FloatPanels.NR + 3}, {2 * FloatPanels.NR + 1, 2 * FloatPanels.NR}}) {
            int in = shape[0], out = shape[1];
            float[] wf = gaussian(in * out, 23 + in, 0.3f);
            for (DType t : new DType[]{DType.F32, DType.F16, DType.BF16}) {
                MappedTensor w = mapped(t, wf, out, in);
                assertEquals(QuantDot.PREFERRED, FloatPanels.of(w) != null, t + " repacked (with vectors of 128 bits or more)");
                Linear lin = new Linear(w, null, Linear.Layout.OUT_IN);
                for (int M = 1; M <= MatMul.F32_TILES_MAX_ROWS + 1; M++) {
                    float[] x = gaussian(M * in, 60 + M, 1f);
                    double[] ref = reference(w, x, M);
                    float[] y = new float[M * out];
                    MatMul.forward(lin, x, M, y);
                    for (int i = 0; i < y.length; i++) assertEquals(ref[i], y[i], 1e-5 * Math.sqrt(in), t + " " + in + "x" + out + " M=" + M + " element " + i);
                    if (t != DType.F32) continue;
                    float[] tiles = new float[M * out];
                    F32Tiles.rows(w.data(), x, M, tiles, in, out, 0, out);
                    for (int i = 0; i < y.length; i++) assertEquals(ref[i], tiles[i], 1e-5 * Math.sqrt(in), "tiles " + in + "x" + out + " M=" + M + " element " + i);
                }
            }
        }
    }

    private static float[] int8Rows(float[] x, int M, int in, int block) {
        return Int8Activations.of(x, M, in, block).toFloats();
    }
}
