package dev.rill.backend.cpu;

import dev.rill.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import static dev.rill.spi.BlockFormats.QK;

/**
 * Rows of activations quantized to int8 per block (scale {@code d = amax/127}, values in
 * −127..127): the integer operand of {@link PackedWeights}' kernels. llama.cpp quantizes
 * activations the same way before its integer kernels — blocks of 32 (its Q8_0) for Q4_0 and Q8_0
 * weights, blocks of 256 (its Q8_K) for the K-quants, whose 256-weight super-blocks then need one
 * float multiply per super-block. Done once per matrix product and reused for every weight row.
 *
 * <p>The values are stored two to an int ({@code pairs[k]} holds values {@code 2k} in its low and
 * {@code 2k+1} in its high 16 bits): broadcast to every int lane, a pair multiplies a vector of
 * 16-bit weights laid out as (row, input 2k), (row, input 2k+1), … in one instruction.
 *
 * <p>The arrays may be longer than the {@code rows} they hold: {@link MatMul} quantizes into
 * {@link Buffers} its thread keeps, so that a prompt's products do not leave their operands as
 * garbage (megabytes a matrix: ~130 MB for one 512-token prompt of stories110M, a young collection
 * per prompt that copied whatever was young and alive, a new sequence's key/value cache among it).
 *
 * @param rows  rows of values
 * @param n     values per row
 * @param block values per scale (32 or 256)
 * @param pairs the values, two per int, row after row
 * @param d     each block's scale, row after row
 * @param sums  the sum of the values of every 32, row after row (the K-quants' minimums multiply it)
 * @param steps the pairs as a byte of two 4-bit weights, {@code lo + 16·hi}, takes them
 *              ({@link PackedWeights}' one-row Q4_0/Q4_K kernels): even pairs as they are, each odd
 *              one {@code pairs[k] − 16·pairs[k−1]} per 16-bit half (|value| ≤ 2,159), so that
 *              {@code v·steps[k] + (v>>4)·steps[k+1] = lo·pairs[k] + hi·pairs[k+1]} needs no mask
 * @param fields Q6_K's 6-bit kernels' coefficients ({@link #withFields}), or null
 */
public record Int8Activations(int rows, int n, int block, int[] pairs, float[] d, int[] sums, int[] steps, int[] fields) {

    /**
     * Arrays one thread quantizes into again and again, grown as needed. What they hold lasts until
     * that thread's next quantization into them: {@link MatMul} uses it within one product.
     */
    static final class Buffers {
        /** Past this many ints an array is not kept (it is made for the call and dropped). */
        private static final int KEEP_MAX = 8 << 20;
        private int[] pairs = new int[0], steps = new int[0], sums = new int[0], fields = new int[0];
        private float[] d = new float[0];

        private static int[] ints(int[] kept, int n) {
            return n <= kept.length ? kept : new int[n];
        }

        private void keep(int[] pairs, int[] steps, int[] sums, float[] d) {
            if (pairs.length <= KEEP_MAX) {
                this.pairs = pairs;
                this.steps = steps;
                this.sums = sums;
                this.d = d;
            }
        }
    }

    /** Coefficient pairs per 16 values in {@link #fields}: ten for the words' fields, then the offset. */
    static final int FIELDS = 11;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final FloatVector HALF = FloatVector.broadcast(F, 0.5f);
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    /** {@code x[xo .. xo+n)} quantized per block of 32; {@code n} must be a multiple of 32. */
    public static Int8Activations of(float[] x, int xo, int n) {
        float[] row = java.util.Arrays.copyOfRange(x, xo, xo + n);
        return of(row, 1, n, QK);
    }

    /** {@code M} rows of {@code n} values from {@code x[0 ..)}, quantized per {@code block} (32 or 256; {@code n} a multiple of it). */
    public static Int8Activations of(float[] x, int M, int n, int block) {
        return of(x, M, n, block, null);
    }

    /** As {@link #of(float[], int, int, int)}, into {@code into}'s arrays where they are large enough (null: new arrays). */
    static Int8Activations of(float[] x, int M, int n, int block, Buffers into) {
        if (block != QK && block != dev.rill.spi.BlockFormats.QK_K) throw new IllegalArgumentException("int8 activation blocks are 32 or 256 values, not " + block);
        if (n % block != 0) throw new IllegalArgumentException("int8 activations need a multiple of " + block + " values, got " + n);
        int values = M * n;
        int[] pairs = into == null ? new int[values / 2] : Buffers.ints(into.pairs, values / 2);
        int[] steps = into == null ? new int[values / 2] : Buffers.ints(into.steps, values / 2);
        int[] sums = into == null ? new int[values / QK] : Buffers.ints(into.sums, values / QK);
        float[] d = into == null || values / block > into.d.length ? new float[values / block] : into.d;
        if (into != null) into.keep(pairs, steps, sums, d);
        boolean vector = QuantDot.VECTOR && block % F.length() == 0;
        int perRow = n / block;
        // Rows are independent: a prompt's are spread over the pool (serial, they took ~3 % of a
        // one-thread prompt, so ~6 % of a two-thread one with the other core waiting).
        Parallel.forRange(M, Math.max(1, ROWS_VALUES / n), (r0, r1) -> {
            java.util.Arrays.fill(sums, r0 * n / QK, r1 * n / QK, 0); // summed into; a kept array holds the last call's
            for (int b = r0 * perRow; b < r1 * perRow; b++) {
                int o = b * block;
                float amax = vector ? amaxVector(x, o, block) : amaxScalar(x, o, block);
                d[b] = amax / 127;
                float id = amax == 0 ? 0 : 127 / amax;
                if (vector) quantizeVector(x, o, block, id, pairs, sums);
                else quantizeScalar(x, o, block, id, pairs, sums);
            }
            steps(pairs, steps, r0 * n / 2, r1 * n / 2);
        });
        return new Int8Activations(M, n, block, pairs, d, sums, steps, null);
    }

    /**
     * These activations with {@link #fields}, the operand of {@link PackedWeights}' Q6_K kernels,
     * which read eight 6-bit codes of a 16-bit lane — inputs {@code 2k+h}, {@code k = 0..7}, of
     * every 16, as lane {@code h} of a pair — from three words, {@code c0 | c1<<6 | c6[0:4)<<12},
     * {@code c2 | c3<<6 | c6[4:6)<<12 | c7[0:2)<<14}, {@code c4 | c5<<6 | c7[2:6)<<12}, each word
     * {@code w} as {@code Σ (w >> s_i)·a_i} over its fields' bits {@code s_i}. For the field at
     * {@code s_i} to be multiplied by {@code X_i} (its input's value, times 16 or 4 for the top bits of
     * c6 and c7), {@code a_i = X_i − 2^(s_i − s_(i−1))·X_(i−1)}: the shifted copies of lower fields
     * cancel. Per 16 values, the pairs {@code a} of the three words (3 + 4 + 3), then
     * {@code −32·Σx} (the codes' offset), each as two 16-bit halves (wrapped: the kernels' sums are
     * exact modulo 2^16).
     */
    public Int8Activations withFields() {
        return withFields(null);
    }

    /** As {@link #withFields()}, the coefficients in {@code into}'s array where it is large enough. */
    Int8Activations withFields(Buffers into) {
        if (fields != null) return this;
        int subsPerRow = n / 16, length = rows * subsPerRow * FIELDS;
        int[] f = into == null ? new int[length] : Buffers.ints(into.fields, length);
        if (into != null && f.length <= Buffers.KEEP_MAX) into.fields = f;
        Parallel.forRange(rows, Math.max(1, ROWS_VALUES / n), (r0, r1) -> {
            java.util.Arrays.fill(f, r0 * subsPerRow * FIELDS, r1 * subsPerRow * FIELDS, 0); // or-ed into
            for (int sub = r0 * subsPerRow; sub < r1 * subsPerRow; sub++) {
                int p = 8 * sub, o = FIELDS * sub;
                for (int h = 0; h < 2; h++) {
                    int sh = 16 * h;
                    int x0 = (short) (pairs[p] >> sh), x1 = (short) (pairs[p + 1] >> sh), x2 = (short) (pairs[p + 2] >> sh), x3 = (short) (pairs[p + 3] >> sh);
                    int x4 = (short) (pairs[p + 4] >> sh), x5 = (short) (pairs[p + 5] >> sh), x6 = (short) (pairs[p + 6] >> sh), x7 = (short) (pairs[p + 7] >> sh);
                    f[o] |= (x0 & 0xFFFF) << sh;
                    f[o + 1] |= ((x1 - 64 * x0) & 0xFFFF) << sh;
                    f[o + 2] |= ((x6 - 64 * x1) & 0xFFFF) << sh;
                    f[o + 3] |= (x2 & 0xFFFF) << sh;
                    f[o + 4] |= ((x3 - 64 * x2) & 0xFFFF) << sh;
                    f[o + 5] |= ((16 * x6 - 64 * x3) & 0xFFFF) << sh;
                    f[o + 6] |= ((x7 - 64 * x6) & 0xFFFF) << sh;
                    f[o + 7] |= (x4 & 0xFFFF) << sh;
                    f[o + 8] |= ((x5 - 64 * x4) & 0xFFFF) << sh;
                    f[o + 9] |= ((4 * x7 - 64 * x5) & 0xFFFF) << sh;
                    f[o + 10] |= ((-32 * (x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7)) & 0xFFFF) << sh;
                }
            }
        });
        return new Int8Activations(rows, n, block, pairs, d, sums, steps, f);
    }

    /** Values from which quantizing is split across threads (smaller rows go together). */
    private static final int ROWS_VALUES = 16384;

    /** {@code steps[from..to)} from {@code pairs} ({@code from} even). */
    private static void steps(int[] pairs, int[] steps, int from, int to) {
        for (int k = from; k < to; k += 2) {
            int p = pairs[k + 1], q = pairs[k];
            int lo = (short) p - 16 * (short) q, hi = (p >> 16) - 16 * (q >> 16);
            steps[k] = q;
            steps[k + 1] = (hi << 16) | (lo & 0xFFFF);
        }
    }

    private static float amaxScalar(float[] x, int o, int len) {
        float amax = 0;
        for (int i = 0; i < len; i++) amax = Math.max(amax, Math.abs(x[o + i]));
        return amax;
    }

    private static float amaxVector(float[] x, int o, int len) {
        FloatVector m = FloatVector.zero(F);
        for (int i = 0; i < len; i += F.length()) m = m.max(FloatVector.fromArray(F, x, o + i).abs());
        return m.reduceLanes(VectorOperators.MAX);
    }

    /** C's roundf (half away from zero), as llama.cpp rounds its Q8_0 activations. */
    private static int round(float v) {
        return (int) (v + Math.copySign(0.5f, v));
    }

    private static void quantizeScalar(float[] x, int o, int len, float id, int[] pairs, int[] sums) {
        for (int i = 0; i < len; i += 2) {
            int a = round(x[o + i] * id), b = round(x[o + i + 1] * id);
            pairs[(o + i) / 2] = (b << 16) | (a & 0xFFFF);
            sums[(o + i) / QK] += a + b;
        }
    }

    private static void quantizeVector(float[] x, int o, int len, float id, int[] pairs, int[] sums) {
        for (int i = 0; i < len; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, o + i).mul(id);
            // Adding ±0.5 and truncating rounds half away from zero.
            IntVector q = (IntVector) v.add(HALF.blend(-0.5f, v.lt(0f))).convert(VectorOperators.F2I, 0);
            sums[(o + i) / QK] += q.reduceLanes(VectorOperators.ADD);
            ((ShortVector) q.convertShape(VectorOperators.I2S, S, 0)).reinterpretAsInts().intoArray(pairs, (o + i) / 2);
        }
    }

    /** Value {@code i} (counting across rows). */
    public int q(int i) {
        return (short) (pairs[i / 2] >> (16 * (i & 1)));
    }

    /** The values these stand for, {@code q·d}, row after row. */
    public float[] toFloats() {
        float[] x = new float[rows * n];
        for (int i = 0; i < x.length; i++) x[i] = q(i) * d[i / block];
        return x;
    }
}
