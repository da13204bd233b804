package dev.rill.backend.cpu;

import dev.rill.spi.BlockFormats;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.Tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.rill.backend.cpu.QuantKernelsTest.gaussian;
import static dev.rill.backend.cpu.QuantKernelsTest.mapped;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The integer kernels over repacked weights against the plain scalar definition: every weight
 * dequantized ({@link BlockFormats#dequantize}) times the int8 activations as floats
 * ({@link Int8Activations#toFloats}), summed in float64. Integer sums are exact, so the two agree
 * to float rounding; and they differ from the product with the unquantized activations by at most
 * the activations' rounding.
 */
class PackedWeightsTest {

    private static final DType[] PACKED = {DType.Q4_0, DType.Q8_0, DType.Q4_K, DType.Q5_K, DType.Q6_K};

    private static float[] packed(MappedTensor w, Int8Activations x, int M) {
        PackedWeights p = PackedWeights.of(w);
        float[] y = new float[M * w.rows()];
        p.multiply(x, M, y, w.rows(), 0, p.groups);
        return y;
    }

    @Test
    void packedKernelsAgreeWithTheScalarDefinition() {
        assumeVectors();
        int in = 768, out = 37; // 37 rows: a padded last group; 768 = three K super-blocks
        int M = 7; // the four-, two- and one-row kernels
        float[] wf = gaussian(in * out, 71, 0.4f);
        float[] x = gaussian(M * in, 72, 1f);
        for (DType t : PACKED) {
            MappedTensor w = mapped(t, wf, out, in);
            Int8Activations x8 = Int8Activations.of(x, M, in, PackedWeights.activationBlock(t));
            float[] xq = x8.toFloats();
            double[] onQuantized = QuantKernelsTest.reference(w, xq, M), onFloats = QuantKernelsTest.reference(w, x, M);
            float[] got = packed(w, x8, M);
            float[] deq = w.toFloats();
            for (int i = 0; i < got.length; i++) {
                int m = i / out, o = i % out;
                double mag = 0, bound = 0;
                for (int k = 0; k < in; k++) {
                    mag += Math.abs((double) deq[o * in + k] * xq[m * in + k]);
                    bound += Math.abs(deq[o * in + k]) * x8.d()[(m * in + k) / x8.block()] / 2;
                }
                assertEquals(onQuantized[i], got[i], 1e-5 * mag + 1e-6, t + " row " + m + " output " + o);
                assertEquals(onFloats[i], got[i], bound + 1e-5 * mag, t + " row " + m + " output " + o + " against the float activations");
            }
        }
    }

    /**
     * Codes and activations at their extremes (every activation ±127, weight codes at the top and
     * bottom of their range): the 16-bit partial sums are then as large as they can be, and must
     * still be exact.
     */
    @Test
    void extremeCodesDoNotOverflowTheSixteenBitSums() {
        assumeVectors();
        int in = 512;
        // Four patterns over two full groups and a partial one: the two-group tiles and the one-group kernels.
        float[][] rows = new float[2 * PackedWeights.R + 4][in];
        for (int r = 0; r < rows.length; r++) {
            for (int k = 0; k < in; k++) {
                rows[r][k] = switch (r % 4) {
                    case 0 -> 1f;
                    case 1 -> -1f;
                    case 2 -> k % 32 == 0 ? -1f : 0.875f; // Q4_0: code 15 beside the block's −8
                    default -> k % 2 == 0 ? 1f : -1f;
                };
            }
        }
        float[] wf = new float[rows.length * in];
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, wf, r * in, in);
        float[] ones = new float[in], signs = new float[in];
        Arrays.fill(ones, 1f);
        for (int k = 0; k < in; k++) signs[k] = k % 2 == 0 ? 1f : -1f;
        for (DType t : PACKED) {
            MappedTensor w = mapped(t, wf, rows.length, in);
            // One row of x at a time, then two and four rows together (the two- and four-row kernels, the tiles).
            float[] both = new float[2 * in];
            System.arraycopy(ones, 0, both, 0, in);
            System.arraycopy(signs, 0, both, in, in);
            float[] four = new float[4 * in];
            System.arraycopy(both, 0, four, 0, 2 * in);
            System.arraycopy(both, 0, four, 2 * in, 2 * in);
            for (float[] x : new float[][]{ones, signs, both, four}) {
                int M = x.length / in;
                Int8Activations x8 = Int8Activations.of(x, M, in, PackedWeights.activationBlock(t));
                double[] ref = QuantKernelsTest.reference(w, x8.toFloats(), M);
                float[] got = packed(w, x8, M);
                for (int o = 0; o < M * rows.length; o++) assertEquals(ref[o], got[o], 1e-5 * in, t + " M=" + M + " output " + o);
            }
        }
    }

    /**
     * A prompt through {@link MatMul} in a two-thread pool (activations quantized in parallel, groups
     * of rows and the two-group tiles split between the threads, ranges starting on odd groups)
     * gives bit for bit what one thread gives, for every packed type.
     */
    @Test
    void twoThreadsGiveWhatOneGives() {
        assumeVectors();
        int in = 512, out = 5 * PackedWeights.R + 3, M = 37;
        float[] wf = gaussian(in * out, 81, 0.4f), x = gaussian(M * in, 82, 1f);
        for (DType t : PACKED) {
            dev.rill.spi.Linear lin = new dev.rill.spi.Linear(mapped(t, wf, out, in), null, dev.rill.spi.Linear.Layout.OUT_IN);
            float[] one = new float[M * out], two = new float[M * out];
            MatMul.forward(lin, x, M, one);
            try (dev.rill.tensor.Parallel pool = new dev.rill.tensor.Parallel(2)) {
                pool.run(() -> MatMul.forward(lin, x, M, two));
            }
            assertArrayEquals(one, two, t + ": 1 and 2 threads");
        }
    }

    /** Each value within half a step ({@code d/2}) of its block, the step {@code amax/127}, values in −127..127, the sums of every 32, and the nibble steps. */
    @Test
    void int8ActivationsRoundWithinHalfAStep() {
        float[] x = gaussian(2 * 512, 41, 3f);
        Arrays.fill(x, 64, 96, 0f); // an all-zero block
        for (int block : new int[]{32, 256}) {
            Int8Activations a = Int8Activations.of(x, 2, 512, block);
            float[] back = a.toFloats();
            for (int i = 0; i < x.length; i++) {
                int b = i / block;
                double amax = 0;
                for (int j = b * block; j < (b + 1) * block; j++) amax = Math.max(amax, Math.abs(x[j]));
                double d = amax / 127;
                assertEquals(d, a.d()[b], 1e-6 * d);
                assertTrue(Math.abs(a.q(i)) <= 127, "value " + i + " = " + a.q(i));
                assertEquals(x[i], back[i], d / 2 * (1 + 1e-5) + 1e-12, "element " + i);
            }
            for (int j = 0; j < x.length / 32; j++) {
                int sum = 0;
                for (int i = 32 * j; i < 32 * j + 32; i++) sum += a.q(i);
                assertEquals(sum, a.sums()[j], "sum of values " + 32 * j + "..");
            }
            for (int k = 0; k < a.pairs().length; k++) {
                int lo = a.q(2 * k), hi = a.q(2 * k + 1);
                if (k % 2 == 1) {
                    lo -= 16 * a.q(2 * k - 2);
                    hi -= 16 * a.q(2 * k - 1);
                }
                assertEquals(lo, (short) a.steps()[k], "step " + k + " low half");
                assertEquals(hi, a.steps()[k] >> 16, "step " + k + " high half");
            }
            if (block == 32) assertEquals(0f, back[70]);
        }
        assertArrayEquals(Int8Activations.of(x, 0, 512).toFloats(), Arrays.copyOf(Int8Activations.of(x, 2, 512, 32).toFloats(), 512));
        assertThrows(IllegalArgumentException.class, () -> Int8Activations.of(x, 0, 100));
        assertThrows(IllegalArgumentException.class, () -> Int8Activations.of(x, 1, 512, 64));
    }

    /**
     * Q6_K's three 16-bit words of eight 6-bit codes, each read as {@code Σ (w >> s_i)·a_i} with the
     * coefficients of {@link Int8Activations#withFields} in wrapping 16-bit arithmetic, as the
     * kernels do, give {@code Σ (c − 32)·x} exactly — codes and values at their extremes included.
     */
    @Test
    void sixBitFieldsGiveEachCodeTimesItsValue() {
        int n = 512;
        java.util.Random rnd = new java.util.Random(5);
        float[][] xs = {new float[n], new float[n], new float[n], new float[n]};
        for (int k = 0; k < n; k++) {
            xs[0][k] = rnd.nextInt(255) - 127;
            xs[1][k] = 127;
            xs[2][k] = -127;
            xs[3][k] = k % 2 == 0 ? 127 : -127;
        }
        int[][] codeSets = {new int[8], new int[8], new int[8]};
        java.util.Arrays.fill(codeSets[1], 63);
        for (float[] xf : xs) {
            Int8Activations a = Int8Activations.of(xf, 1, n, BlockFormats.QK_K).withFields();
            for (int sub = 0; sub < n / 16; sub++) {
                for (int h = 0; h < 2; h++) {
                    for (int[] fixed : codeSets) {
                        int[] c = fixed == codeSets[2] ? rnd.ints(8, 0, 64).toArray() : fixed;
                        int[] w = {c[0] | c[1] << 6 | (c[6] & 15) << 12, c[2] | c[3] << 6 | (c[6] >> 4) << 12 | (c[7] & 3) << 14, c[4] | c[5] << 6 | (c[7] >> 2) << 12};
                        int[][] shifts = {{0, 6, 12}, {0, 6, 12, 14}, {0, 6, 12}};
                        int o = Int8Activations.FIELDS * sub, sum = field(a, o + 10, h), exact = 0;
                        for (int t = 0, i = 0; t < 3; t++) {
                            for (int sh : shifts[t]) sum += (w[t] >>> sh) * field(a, o + i++, h);
                        }
                        for (int k = 0; k < 8; k++) exact += (c[k] - 32) * a.q(16 * sub + 2 * k + h);
                        assertEquals(exact, (short) sum, "sub-block " + sub + " lane " + h + " codes " + Arrays.toString(c));
                    }
                }
            }
        }
    }

    private static int field(Int8Activations a, int i, int h) {
        return (short) (a.fields()[i] >> (16 * h));
    }

    private static void assumeVectors() {
        org.junit.jupiter.api.Assumptions.assumeTrue(PackedWeights.supports(DType.Q4_0), "no packed kernels without 128-bit vectors");
    }
}
