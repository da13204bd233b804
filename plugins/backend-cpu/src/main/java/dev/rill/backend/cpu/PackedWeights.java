package dev.rill.backend.cpu;

import dev.rill.spi.BlockFormats;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.Tensor.DType;
import dev.rill.tensor.Parallel;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.rill.backend.cpu.Int8Activations.FIELDS;
import static dev.rill.spi.BlockFormats.I8;
import static dev.rill.spi.BlockFormats.QK;
import static dev.rill.spi.BlockFormats.QK_K;
import static dev.rill.spi.BlockFormats.half;
import static dev.rill.spi.BlockFormats.u8;

/**
 * A quantized matrix (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K) repacked once for integer kernels, as
 * llama.cpp repacks Q4_0 and Q4_K into interleaved blocks at load time. Rows are taken in groups of
 * {@link #R} (one int lane of a vector per row: 16 with 512-bit vectors); within a group the
 * weights are interleaved so that one vector of 16-bit lanes holds {@code (row r, input 2k)} and
 * {@code (row r, input 2k+1)} for every row of the group. Multiplying it by the pair of activations
 * {@code (x[2k], x[2k+1])} broadcast to every int lane ({@link Int8Activations#pairs()}) is then one
 * 16-bit multiply for 2·R products, accumulated in 16-bit lanes as long as they cannot overflow,
 * then summed in pairs into one int lane per row: no horizontal sums, and no conversion of a weight
 * to float. Each block's integer sum is scaled once per row group (scales stored as a vector of R
 * floats per block, K-quant sub-block scales as R bytes).
 *
 * <p>Weight codes are stored in 8 bits (Q8_0, Q5_K), 6 bits (Q6_K: eight codes of a 16-bit lane in
 * three 16-bit words, see {@link #q6_K}) or 4 bits (Q4_0, Q4_K: one byte holds inputs {@code 4c+j}
 * and {@code 4c+2+j} of a row), so the memory read per weight stays about that of the file, except
 * Q5_K's (8 bits instead of 5.5). The last group is padded with zero rows.
 */
final class PackedWeights {

    static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bytes widened to one vector of shorts. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    /**
     * One byte per row of a group, widened to one vector of ints: R bytes, or 8 where R is 4 (128-bit
     * vectors: NEON, SSE) and no 32-bit vector exists — the scale arrays then carry 4 bytes of padding.
     */
    static final VectorSpecies<Byte> BR = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, I.length() * 8)));
    /** Rows per group. */
    static final int R = I.length();
    /** Bytes of one interleaved chunk (= 16-bit lanes of one vector). */
    static final int CHUNK = 2 * R;
    /** The bytes of one vector of shorts: Q6_K's 16-bit words. */
    static final VectorSpecies<Byte> BW = VectorSpecies.of(byte.class, S.vectorShape());
    /** Bytes of one vector of Q6_K words (two per row of a group). */
    static final int WORDS = 4 * R;

    final DType type;
    final int rows, cols, groups;
    /** Bytes per group of rows. */
    final int groupBytes;
    /** Interleaved weight codes. */
    final byte[] q;
    /** Per group and block (32 for Q4_0/Q8_0, 256 for K-quants): R row scales; K4/K5 also R minimum scales. */
    final float[] d, dmin;
    /** K-quants, per group and sub-block (32 for Q4_K/Q5_K, 16 for Q6_K): R integer scales; Q4_K/Q5_K also R minimums. */
    final byte[] sc, mn;

    /** Each mapped matrix's packed copy. */
    private static final TensorCache<PackedWeights> CACHE = new TensorCache<>();

    /** Whether {@code t} is multiplied through the packed kernels. */
    static boolean packable(MappedTensor t) {
        return supports(t.type()) && fits(t.type(), t.rows(), t.cols());
    }

    /**
     * The packed copy of {@code t}, made on first use and shared by every forward pass over it.
     * The mapped pages it was read from are then handed back to the OS (they stay in its file
     * cache; a later read pages them in again), so a model is not resident twice.
     */
    static PackedWeights of(MappedTensor t) {
        return CACHE.get(t, k -> {
            PackedWeights p = new PackedWeights(t);
            if (t.data().isMapped()) t.data().unload();
            return p;
        });
    }

    /** Whether {@code t} has packed kernels on this CPU. */
    static boolean supports(DType t) {
        // Written for the preferred vector of any width: 128 bits too (groups of 4 rows).
        return QuantDot.PREFERRED && S.length() == 2 * R && switch (t) {
            case Q4_0, Q8_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Whether a {@code rows × cols} matrix of type {@code t} fits the packed arrays. */
    static boolean fits(DType t, int rows, int cols) {
        long padded = (long) (rows + R - 1) / R * R;
        return padded * cols <= Integer.MAX_VALUE - 64;
    }

    /** Values per activation scale for weights of type {@code t}. */
    static int activationBlock(DType t) {
        return t == DType.Q4_0 || t == DType.Q8_0 ? QK : QK_K;
    }

    private static boolean nibbles(DType t) {
        return t == DType.Q4_0 || t == DType.Q4_K;
    }

    PackedWeights(MappedTensor w) {
        if (!supports(w.type()) || !fits(w.type(), w.rows(), w.cols())) throw new IllegalArgumentException("no packed kernels for " + w.type() + " " + w.rows() + "x" + w.cols());
        type = w.type();
        rows = w.rows();
        cols = w.cols();
        groups = (rows + R - 1) / R;
        groupBytes = nibbles(type) ? R * cols / 2 : type == DType.Q6_K ? R * cols / 4 * 3 : R * cols;
        q = new byte[groups * groupBytes];
        int blocks = cols / BlockFormats.blockSize(type);
        d = new float[groups * blocks * R];
        boolean k45 = type == DType.Q4_K || type == DType.Q5_K;
        dmin = k45 ? new float[d.length] : null;
        int subs = type == DType.Q6_K ? cols / 16 : cols / QK;
        int pad = BR.length() - R;
        sc = type == DType.Q4_K || type == DType.Q5_K || type == DType.Q6_K ? new byte[groups * subs * R + pad] : null;
        mn = k45 ? new byte[groups * subs * R + pad] : null;
        Parallel.forRange(groups, 1, (g0, g1) -> {
            int[] codes = new int[BlockFormats.blockSize(type)];
            for (int g = g0; g < g1; g++) {
                for (int r = 0; r < R && g * R + r < rows; r++) packRow(w, g, r, blocks, codes);
            }
        });
    }

    private void packRow(MappedTensor w, int g, int r, int blocks, int[] codes) {
        MemorySegment s = w.data();
        long row = w.rowOffset(g * R + r);
        int bs = codes.length, bb = BlockFormats.blockBytes(type);
        int subsPerBlock = type == DType.Q6_K ? 16 : bs / QK;
        for (int b = 0; b < blocks; b++) {
            long off = row + (long) b * bb;
            int db = (g * blocks + b) * R + r;
            switch (type) {
                case Q4_0 -> {
                    d[db] = half(s, off);
                    for (int j = 0; j < 16; j++) {
                        int v = u8(s, off + 2 + j);
                        codes[j] = v & 0xF;
                        codes[j + 16] = v >> 4;
                    }
                }
                case Q8_0 -> {
                    d[db] = half(s, off);
                    for (int j = 0; j < QK; j++) codes[j] = s.get(I8, off + 2 + j);
                }
                case Q4_K, Q5_K -> {
                    d[db] = half(s, off);
                    dmin[db] = half(s, off + 2);
                    for (int j = 0; j < 8; j++) {
                        int si = ((g * blocks + b) * subsPerBlock + j) * R + r;
                        sc[si] = (byte) BlockFormats.scaleK4(s, off + 4, j);
                        mn[si] = (byte) BlockFormats.minK4(s, off + 4, j);
                    }
                    boolean five = type == DType.Q5_K;
                    long qs = off + (five ? 48 : 16);
                    for (int j = 0; j < 4; j++) {
                        for (int l = 0; l < 32; l++) {
                            int v = u8(s, qs + 32 * j + l), h = five ? u8(s, off + 16 + l) : 0;
                            codes[64 * j + l] = (v & 0xF) | (((h >> (2 * j)) & 1) << 4);
                            codes[64 * j + 32 + l] = (v >> 4) | (((h >> (2 * j + 1)) & 1) << 4);
                        }
                    }
                }
                case Q6_K -> {
                    d[db] = half(s, off + 208);
                    for (int j = 0; j < 16; j++) sc[((g * blocks + b) * 16 + j) * R + r] = s.get(I8, off + 192 + j);
                    for (int h = 0; h < 2; h++) {
                        for (int l = 0; l < 32; l++) {
                            int lo0 = u8(s, off + 64 * h + l), lo1 = u8(s, off + 64 * h + 32 + l), hi = u8(s, off + 128 + 32 * h + l);
                            codes[128 * h + l] = (lo0 & 0xF) | ((hi & 3) << 4);
                            codes[128 * h + 32 + l] = (lo1 & 0xF) | (((hi >> 2) & 3) << 4);
                            codes[128 * h + 64 + l] = (lo0 >> 4) | (((hi >> 4) & 3) << 4);
                            codes[128 * h + 96 + l] = (lo1 >> 4) | ((hi >> 6) << 4);
                        }
                    }
                }
                default -> throw new IllegalStateException(type.toString());
            }
            int base = g * groupBytes;
            if (type == DType.Q6_K) {
                // Sub-block j (16 inputs), lane h of row r: codes c0..c7 of inputs 16j + 2k + h in three 16-bit words.
                for (int j = 0; j < 16; j++) {
                    for (int h = 0; h < 2; h++) {
                        int c0 = codes[16 * j + h], c1 = codes[16 * j + 2 + h], c2 = codes[16 * j + 4 + h], c3 = codes[16 * j + 6 + h];
                        int c4 = codes[16 * j + 8 + h], c5 = codes[16 * j + 10 + h], c6 = codes[16 * j + 12 + h], c7 = codes[16 * j + 14 + h];
                        int[] words = {c0 | c1 << 6 | (c6 & 15) << 12, c2 | c3 << 6 | (c6 >> 4) << 12 | (c7 & 3) << 14, c4 | c5 << 6 | (c7 >> 2) << 12};
                        for (int t = 0; t < 3; t++) {
                            int o = base + ((b * 16 + j) * 3 + t) * WORDS + 2 * (2 * r + h);
                            q[o] = (byte) words[t]; // little-endian, as a vector of bytes is seen as shorts
                            q[o + 1] = (byte) (words[t] >> 8);
                        }
                    }
                }
            } else if (nibbles(type)) {
                for (int c = 0; c < bs / 4; c++) {
                    int o = base + (b * bs / 4 + c) * CHUNK + 2 * r;
                    q[o] = (byte) (codes[4 * c] | (codes[4 * c + 2] << 4));
                    q[o + 1] = (byte) (codes[4 * c + 1] | (codes[4 * c + 3] << 4));
                }
            } else {
                for (int c = 0; c < bs / 2; c++) {
                    int o = base + (b * bs / 2 + c) * CHUNK + 2 * r;
                    q[o] = (byte) codes[2 * c];
                    q[o + 1] = (byte) codes[2 * c + 1];
                }
            }
        }
    }

    /**
     * Q8_0 rows {@code r0 .. r0+2R} dequantized into {@code panel[k·2R + r]}, the layout of
     * {@link dev.rill.tensor.Gemm}'s packed B panels: prompts multiply Q8_0 weights in float tiles
     * ({@link MatMul#integerPath}), and the interleaved chunks already hold each input's value for
     * every row of a group, so the panel takes one sign extension and one scale per value, with no
     * transposition and no read of the mapped file. Rows past the matrix come out zero.
     */
    void panel(int r0, float[] panel) {
        if (type != DType.Q8_0 || r0 % R != 0) throw new IllegalStateException("Q8_0 panels start on a group: " + type + " row " + r0);
        int nb = cols / QK, P = 2 * R;
        for (int h = 0; h < 2; h++) {
            int g = r0 / R + h;
            if (g >= groups) {
                for (int k = 0; k < cols; k++) Arrays.fill(panel, k * P + h * R, k * P + h * R + R, 0f);
                continue;
            }
            for (int b = 0, qo = g * groupBytes; b < nb; b++) {
                FloatVector scale = FloatVector.fromArray(F, d, (g * nb + b) * R);
                for (int j = b * QK / 2; j < (b + 1) * QK / 2; j++, qo += CHUNK) {
                    ShortVector v = ByteVector.fromArray(B, q, qo).reinterpretAsShorts();
                    ShortVector even = v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8), odd = v.lanewise(VectorOperators.ASHR, 8);
                    ((FloatVector) ((IntVector) even.convertShape(VectorOperators.S2I, I, 0)).convert(VectorOperators.I2F, 0)).mul(scale)
                            .intoArray(panel, 2 * j * P + h * R);
                    ((FloatVector) ((IntVector) odd.convertShape(VectorOperators.S2I, I, 0)).convert(VectorOperators.I2F, 0)).mul(scale)
                            .intoArray(panel, (2 * j + 1) * P + h * R);
                }
            }
        }
    }

    /** {@code x} as these kernels take it: Q6_K's with its fields' coefficients ({@link Int8Activations#withFields}). */
    Int8Activations operand(Int8Activations x) {
        return operand(x, null);
    }

    /** As {@link #operand(Int8Activations)}, the coefficients in {@code into}'s array (null: a new one). */
    Int8Activations operand(Int8Activations x, Int8Activations.Buffers into) {
        return type == DType.Q6_K ? x.withFields(into) : x;
    }

    /** Bytes of activations one pass over a range of groups keeps in cache (about a quarter of a core's L2). */
    private static final int ACTIVATION_BYTES = 256 << 10;

    /**
     * {@code y[m·out + o] = Σ W[o]·x[m]} for the rows of groups {@code [g0, g1)} and every row
     * {@code m} of {@code x}. Many rows of {@code x} (a prompt) are taken a slice at a time, each
     * slice small enough to stay in cache while the groups stream past it.
     */
    void multiply(Int8Activations xq, int M, float[] y, int out, int g0, int g1) {
        Int8Activations x = operand(xq); // made once per product by MatMul, here only if it did not
        // A multiple of four rows, so that only the last slice leaves rows to the two- and one-row kernels.
        int slice = Math.max(4, ACTIVATION_BYTES / (2 * cols) / 4 * 4);
        boolean tiles = type == DType.Q4_0 || type == DType.Q4_K;
        for (int m0 = 0; m0 < M; m0 += slice) {
            int m1 = Math.min(M, m0 + slice), g = g0;
            // Two full groups at a time, four rows of x at a time: each activation pair is broadcast once
            // for 2R outputs (Q4_0 and Q4_K tiles 56–65 against 41–50 G multiply-adds/s on one core, 128 rows).
            if (tiles && m1 - m0 >= 4) {
                for (; g + 2 <= g1 && (g + 2) * R <= rows; g += 2) {
                    int m = m0;
                    for (; m + 4 <= m1; m += 4) {
                        if (type == DType.Q4_0) q4_0Tile(x, m, g, y, m * out + g * R, out);
                        else q4_KTile(x, m, g, y, m * out + g * R, out);
                    }
                    multiply(x, m, m1, y, out, g);
                    multiply(x, m, m1, y, out, g + 1);
                }
            }
            for (; g < g1; g++) multiply(x, m0, m1, y, out, g);
        }
    }

    private void multiply(Int8Activations x, int m0, int m1, float[] y, int out, int g) {
        int valid = Math.min(R, rows - g * R);
        int m = m0;
        // Two rows of x at a time where a kernel takes two: each chunk of weights is widened once for both.
        // Q4_K, the most common type of real models, four rows at a time: 10 % over two (45 against 41 G multiply-adds/s on one core);
        // Q4_0 too: 45-47 against 38-43 (2048x768 and 768x2048, 128 rows).
        if (type == DType.Q4_K) for (; m + 4 <= m1; m += 4) q4_Kx4(x, m, g, y, m * out + g * R, out, valid);
        if (type == DType.Q4_0) for (; m + 4 <= m1; m += 4) q4_0x4(x, m, g, y, m * out + g * R, out, valid);
        if (type != DType.Q5_K) {
            for (; m + 2 <= m1; m += 2) {
                int yo = m * out + g * R;
                switch (type) {
                    case Q4_0 -> q4_0x2(x, m, g, y, yo, out, valid);
                    case Q8_0 -> q8_0x2(x, m, g, y, yo, out, valid);
                    case Q4_K -> q4_Kx2(x, m, g, y, yo, out, valid);
                    case Q6_K -> q6_Kx2(x, m, g, y, yo, out, valid);
                    default -> throw new IllegalStateException(type.toString());
                }
            }
        }
        for (; m < m1; m++) {
            int yo = m * out + g * R;
            switch (type) {
                case Q4_0 -> q4_0(x, m, g, y, yo, valid);
                case Q8_0 -> q8_0(x, m, g, y, yo, valid);
                case Q4_K -> q4_K(x, m, g, y, yo, valid);
                case Q5_K -> q5_K(x, m, g, y, yo, valid);
                case Q6_K -> q6_K(x, m, g, y, yo, valid);
                default -> throw new IllegalStateException(type.toString());
            }
        }
    }

    /*
     * The kernels. Each is written with Vector API calls only, no small helpers of ours: once a
     * compiled method passes C2's node-count cutoff, C2 stops inlining ordinary methods (the Vector
     * API's own are force-inlined), and a vector that crosses a call which was not inlined is boxed
     * on the heap — measured 20× slower. For the same reason each kernel stores its own result.
     *
     * Recurring steps: a chunk of codes is loaded and widened to 16-bit lanes (bytes sign-extended,
     * nibbles zero-extended, then split into low and high); an activation pair is broadcast to
     * every int lane and seen as 16-bit lanes; after a run of 16-bit multiply-adds the adjacent
     * lanes of one row are summed into an int — the high lane by an arithmetic shift of the int,
     * the low one by shifting it up first (two full 16-bit lanes need 17 bits, so the sum is formed
     * in ints).
     *
     * The one-row Q4_0/Q4_K kernels skip the mask of the low nibble: a widened byte is
     * {@code v = lo + 16·hi}, and {@code v·a + (v>>4)·(b − 16·a) = lo·a + hi·b}
     * ({@link Int8Activations#steps}). The products wrap in 16 bits, but wrapping is exact modulo
     * 2^16 and each lane's true sum fits in 16 bits, so the sum comes out exact (one vector
     * operation of seven fewer per chunk: Q4_0 decode +12 %, Q4_K +2 to +9 % on one core).
     *
     * The one-row Q4_0, Q8_0, Q4_K and Q5_K kernels (decode) read the arrays through locals and
     * compute every index from the loop counters, and the K-quants form their minimums' sum in a
     * short loop of its own before the codes': C2 then hoists the range checks out of the loops and keeps the loop
     * state in registers, where running offsets ({@code qo += CHUNK}) left range checks, reloaded
     * array lengths and stack spills in every sub-block. The same kernel in C (gcc, the same
     * instructions) streamed 52–54 G weights/s from memory where this one's old form read 29–37;
     * the new form reads 34–43 (Q4_K 2048×2048, one core, `bench kernels` interleaved; model decode
     * stories110M Q4_K 217–279 → 304–372 tok/s; Q5_K from memory 15–23 → 15–24, four pairs of six
     * ahead).
     */

    // Per block of 32: codes 0..15 times |x| ≤ 127, 16 products per 16-bit lane (≤ 30,480); the
    // offset 8 is taken out of the int sum as 8·Σx.
    private void q4_0(Int8Activations x, int m, int g, float[] y, int yo, int valid) {
        final byte[] q = this.q;
        final float[] d = this.d;
        int nb = cols / QK, q0 = g * groupBytes, p0 = m * (cols / 2), xb = m * nb, d0 = g * nb * R;
        int[] steps = x.steps(), sums = x.sums();
        float[] xd = x.d();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            ShortVector s = ShortVector.zero(S);
            for (int c = 0; c < 8; c++) {
                int k = 8 * b + c;
                ShortVector v = (ShortVector) ByteVector.fromArray(B, q, q0 + k * CHUNK).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                s = s.add(v.mul(IntVector.broadcast(I, steps[p0 + 2 * k]).reinterpretAsShorts())
                        .add(v.lanewise(VectorOperators.LSHR, 4).mul(IntVector.broadcast(I, steps[p0 + 2 * k + 1]).reinterpretAsShorts())));
            }
            IntVector i = s.reinterpretAsInts();
            IntVector sum = i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                    .sub(8 * sums[xb + b]);
            acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, d, d0 + b * R).mul(xd[xb + b]), acc);
        }
        if (valid == R) acc.intoArray(y, yo);
        else acc.intoArray(y, yo, F.indexInRange(0, valid));
    }

    // Per block of 32: products ≤ 127², two per 16-bit lane (≤ 32,258), then into ints.
    private void q8_0(Int8Activations x, int m, int g, float[] y, int yo, int valid) {
        final byte[] q = this.q;
        final float[] d = this.d;
        int nb = cols / QK, q0 = g * groupBytes, p0 = m * (cols / 2), xb = m * nb, d0 = g * nb * R;
        int[] pairs = x.pairs();
        float[] xd = x.d();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            IntVector sum = IntVector.zero(I);
            for (int c = 0; c < 8; c++) {
                int k = 8 * b + c;
                ShortVector v0 = (ShortVector) ByteVector.fromArray(B, q, q0 + 2 * k * CHUNK).convertShape(VectorOperators.B2S, S, 0);
                ShortVector v1 = (ShortVector) ByteVector.fromArray(B, q, q0 + (2 * k + 1) * CHUNK).convertShape(VectorOperators.B2S, S, 0);
                IntVector i = v0.mul(IntVector.broadcast(I, pairs[p0 + 2 * k]).reinterpretAsShorts())
                        .add(v1.mul(IntVector.broadcast(I, pairs[p0 + 2 * k + 1]).reinterpretAsShorts())).reinterpretAsInts();
                sum = sum.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)));
            }
            acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, d, d0 + b * R).mul(xd[xb + b]), acc);
        }
        if (valid == R) acc.intoArray(y, yo);
        else acc.intoArray(y, yo, F.indexInRange(0, valid));
    }

    // Per sub-block of 32: codes 0..15, 16 products per 16-bit lane (≤ 30,480); sub-block scales
    // and minimums applied in ints, d and dmin once per super-block of 256.
    private void q4_K(Int8Activations x, int m, int g, float[] y, int yo, int valid) {
        final byte[] q = this.q, sc = this.sc, mn = this.mn;
        final float[] d = this.d, dmin = this.dmin;
        int nb = cols / QK_K, q0 = g * groupBytes, p0 = m * (cols / 2), xb = m * nb, d0 = g * nb * R;
        int s0 = g * nb * 8 * R, x0 = m * (cols / QK);
        int[] steps = x.steps(), sums = x.sums();
        float[] xd = x.d();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            IntVector imin = IntVector.zero(I);
            for (int j = 0; j < 8; j++) {
                IntVector min = (IntVector) ByteVector.fromArray(BR, mn, s0 + (8 * b + j) * R).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                imin = imin.add(min.mul(sums[x0 + 8 * b + j]));
            }
            IntVector isum = IntVector.zero(I);
            for (int j = 0; j < 8; j++) {
                int sub = 8 * b + j;
                ShortVector s = ShortVector.zero(S);
                for (int c = 0; c < 8; c++) {
                    int k = 8 * sub + c;
                    ShortVector v = (ShortVector) ByteVector.fromArray(B, q, q0 + k * CHUNK).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    s = s.add(v.mul(IntVector.broadcast(I, steps[p0 + 2 * k]).reinterpretAsShorts())
                            .add(v.lanewise(VectorOperators.LSHR, 4).mul(IntVector.broadcast(I, steps[p0 + 2 * k + 1]).reinterpretAsShorts())));
                }
                IntVector i = s.reinterpretAsInts();
                IntVector scale = (IntVector) ByteVector.fromArray(BR, sc, s0 + sub * R).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                isum = isum.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(scale));
            }
            float dx = xd[xb + b];
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, d, d0 + b * R).mul(dx), acc);
            acc = ((FloatVector) imin.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, dmin, d0 + b * R).mul(-dx), acc);
        }
        if (valid == R) acc.intoArray(y, yo);
        else acc.intoArray(y, yo, F.indexInRange(0, valid));
    }

    // As Q4_K with 5-bit codes in bytes: products ≤ 31·127, 8 per 16-bit lane, so each sub-block
    // of 32 is summed as two halves.
    private void q5_K(Int8Activations x, int m, int g, float[] y, int yo, int valid) {
        final byte[] q = this.q, sc = this.sc, mn = this.mn;
        final float[] d = this.d, dmin = this.dmin;
        int nb = cols / QK_K, q0 = g * groupBytes, p0 = m * (cols / 2), xb = m * nb, d0 = g * nb * R;
        int s0 = g * nb * 8 * R, x0 = m * (cols / QK);
        int[] pairs = x.pairs(), sums = x.sums();
        float[] xd = x.d();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            IntVector imin = IntVector.zero(I);
            for (int j = 0; j < 8; j++) {
                IntVector min = (IntVector) ByteVector.fromArray(BR, mn, s0 + (8 * b + j) * R).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                imin = imin.add(min.mul(sums[x0 + 8 * b + j]));
            }
            IntVector isum = IntVector.zero(I);
            for (int j = 0; j < 8; j++) {
                int sub = 8 * b + j;
                IntVector part = IntVector.zero(I);
                for (int h = 0; h < 2; h++) {
                    ShortVector s = ShortVector.zero(S);
                    for (int c = 0; c < 8; c++) {
                        int k = 16 * sub + 8 * h + c;
                        ShortVector v = (ShortVector) ByteVector.fromArray(B, q, q0 + k * CHUNK).convertShape(VectorOperators.B2S, S, 0);
                        s = s.add(v.mul(IntVector.broadcast(I, pairs[p0 + k]).reinterpretAsShorts()));
                    }
                    IntVector i = s.reinterpretAsInts();
                    part = part.add(i.lanewise(VectorOperators.ASHR, 16)).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                }
                IntVector scale = (IntVector) ByteVector.fromArray(BR, sc, s0 + sub * R).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                isum = isum.add(part.mul(scale));
            }
            float dx = xd[xb + b];
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, d, d0 + b * R).mul(dx), acc);
            acc = ((FloatVector) imin.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, dmin, d0 + b * R).mul(-dx), acc);
        }
        if (valid == R) acc.intoArray(y, yo);
        else acc.intoArray(y, yo, F.indexInRange(0, valid));
    }

    /*
     * Q6_K codes are stored in 6 bits: the 8 codes c0..c7 one 16-bit lane takes in a sub-block of 16
     * inputs sit in three words, c0 | c1<<6 | c6[0:4)<<12, c2 | c3<<6 | c6[4:6)<<12 | c7[0:2)<<14 and
     * c4 | c5<<6 | c7[2:6)<<12. A word w is multiplied by {@code w·a0 + (w>>6)·a1 + (w>>12)·a2 (+ (w>>14)·a3)}
     * with the coefficients of Int8Activations#fields, {@code a_i = X_i − 2^(s_i − s_(i−1))·X_(i−1)} for
     * the field at bit s_i that should be multiplied by X_i: the shifted copies telescope to each
     * field times its own activation. Products wrap in 16 bits, which is exact modulo 2^16, and the
     * lane starts at −32·Σx, so it ends at Σ(c − 32)·x, |·| ≤ 8·32·127 = 32,512, which fits. Ten
     * multiply-adds and seven shifts for 16 inputs, where bytes took eight sign extensions and eight
     * multiply-adds: about the same work for 0.75 of the bytes (`bench kernels`, 2048×2048, one
     * core, interleaved with the 8-bit kernel: from memory 21.9–25.2 → 26.4–30.2 G weights/s, in
     * cache 46.9–54.7 → 54.9–62.8, prompts level). Results are those of the 8-bit codes, bit for bit.
     */
    private void q6_K(Int8Activations x, int m, int g, float[] y, int yo, int valid) {
        final byte[] q = this.q, sc = this.sc;
        final float[] d = this.d;
        final int[] f = x.fields();
        int nb = cols / QK_K, q0 = g * groupBytes, f0 = m * (cols / 16) * FIELDS, xb = m * nb, d0 = g * nb * R, s0 = g * nb * 16 * R;
        float[] xd = x.d();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            IntVector isum = IntVector.zero(I);
            for (int j = 0; j < 16; j++) {
                int sub = 16 * b + j, fo = f0 + FIELDS * sub, qo = q0 + 3 * WORDS * sub;
                ShortVector w0 = ByteVector.fromArray(BW, q, qo).reinterpretAsShorts();
                ShortVector w1 = ByteVector.fromArray(BW, q, qo + WORDS).reinterpretAsShorts();
                ShortVector w2 = ByteVector.fromArray(BW, q, qo + 2 * WORDS).reinterpretAsShorts();
                // Three partial sums: shorter chains of dependent adds.
                ShortVector p0 = w0.mul(IntVector.broadcast(I, f[fo]).reinterpretAsShorts())
                        .add(w0.lanewise(VectorOperators.LSHR, 6).mul(IntVector.broadcast(I, f[fo + 1]).reinterpretAsShorts()))
                        .add(w0.lanewise(VectorOperators.LSHR, 12).mul(IntVector.broadcast(I, f[fo + 2]).reinterpretAsShorts()))
                        .add(IntVector.broadcast(I, f[fo + 10]).reinterpretAsShorts());
                ShortVector p1 = w1.mul(IntVector.broadcast(I, f[fo + 3]).reinterpretAsShorts())
                        .add(w1.lanewise(VectorOperators.LSHR, 6).mul(IntVector.broadcast(I, f[fo + 4]).reinterpretAsShorts()))
                        .add(w1.lanewise(VectorOperators.LSHR, 12).mul(IntVector.broadcast(I, f[fo + 5]).reinterpretAsShorts()))
                        .add(w1.lanewise(VectorOperators.LSHR, 14).mul(IntVector.broadcast(I, f[fo + 6]).reinterpretAsShorts()));
                ShortVector p2 = w2.mul(IntVector.broadcast(I, f[fo + 7]).reinterpretAsShorts())
                        .add(w2.lanewise(VectorOperators.LSHR, 6).mul(IntVector.broadcast(I, f[fo + 8]).reinterpretAsShorts()))
                        .add(w2.lanewise(VectorOperators.LSHR, 12).mul(IntVector.broadcast(I, f[fo + 9]).reinterpretAsShorts()));
                IntVector i = p0.add(p1).add(p2).reinterpretAsInts();
                IntVector scale = (IntVector) ByteVector.fromArray(BR, sc, s0 + sub * R).convertShape(VectorOperators.B2I, I, 0);
                isum = isum.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(scale));
            }
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, d, d0 + b * R).mul(xd[xb + b]), acc);
        }
        if (valid == R) acc.intoArray(y, yo);
        else acc.intoArray(y, yo, F.indexInRange(0, valid));
    }

    // Two (Q4_0, Q4_K: four) rows of x at once: the same kernels, each chunk of weights widened once
    // for all the rows (prompt processing).

    private void q4_0x2(Int8Activations x, int m, int g, float[] y, int yo, int out, int valid) {
        int nb = cols / QK, qo = g * groupBytes, half = cols / 2, p = m * half, xb = m * nb, db = g * nb * R;
        int[] pairs = x.pairs(), sums = x.sums();
        float[] xd = x.d();
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < nb; b++, db += R) {
            ShortVector s0 = ShortVector.zero(S), s1 = s0;
            for (int c = 0; c < 8; c++, qo += CHUNK, p += 2) {
                ShortVector v = (ShortVector) ByteVector.fromArray(B, q, qo).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector lo = v.and((short) 0xF), hi = v.lanewise(VectorOperators.LSHR, 4);
                s0 = s0.add(lo.mul(IntVector.broadcast(I, pairs[p]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + 1]).reinterpretAsShorts()));
                s1 = s1.add(lo.mul(IntVector.broadcast(I, pairs[p + half]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + half + 1]).reinterpretAsShorts()));
            }
            FloatVector dv = FloatVector.fromArray(F, d, db);
            IntVector i0 = s0.reinterpretAsInts(), i1 = s1.reinterpretAsInts();
            IntVector sum0 = i0.lanewise(VectorOperators.ASHR, 16).add(i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(8 * sums[xb + b]);
            IntVector sum1 = i1.lanewise(VectorOperators.ASHR, 16).add(i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(8 * sums[xb + nb + b]);
            acc0 = ((FloatVector) sum0.convert(VectorOperators.I2F, 0)).fma(dv.mul(xd[xb + b]), acc0);
            acc1 = ((FloatVector) sum1.convert(VectorOperators.I2F, 0)).fma(dv.mul(xd[xb + nb + b]), acc1);
        }
        if (valid == R) {
            acc0.intoArray(y, yo);
            acc1.intoArray(y, yo + out);
        } else {
            acc0.intoArray(y, yo, F.indexInRange(0, valid));
            acc1.intoArray(y, yo + out, F.indexInRange(0, valid));
        }
    }

    private void q4_0x4(Int8Activations x, int m, int g, float[] y, int yo, int out, int valid) {
        int nb = cols / QK, qo = g * groupBytes, half = cols / 2, p = m * half, xb = m * nb, db = g * nb * R;
        int[] pairs = x.pairs(), sums = x.sums();
        float[] xd = x.d();
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int b = 0; b < nb; b++, db += R) {
            ShortVector s0 = ShortVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int c = 0; c < 8; c++, qo += CHUNK, p += 2) {
                ShortVector v = (ShortVector) ByteVector.fromArray(B, q, qo).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector lo = v.and((short) 0xF), hi = v.lanewise(VectorOperators.LSHR, 4);
                s0 = s0.add(lo.mul(IntVector.broadcast(I, pairs[p]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + 1]).reinterpretAsShorts()));
                s1 = s1.add(lo.mul(IntVector.broadcast(I, pairs[p + half]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + half + 1]).reinterpretAsShorts()));
                s2 = s2.add(lo.mul(IntVector.broadcast(I, pairs[p + 2 * half]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + 2 * half + 1]).reinterpretAsShorts()));
                s3 = s3.add(lo.mul(IntVector.broadcast(I, pairs[p + 3 * half]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + 3 * half + 1]).reinterpretAsShorts()));
            }
            FloatVector dv = FloatVector.fromArray(F, d, db);
            IntVector i0 = s0.reinterpretAsInts(), i1 = s1.reinterpretAsInts(), i2 = s2.reinterpretAsInts(), i3 = s3.reinterpretAsInts();
            IntVector sum0 = i0.lanewise(VectorOperators.ASHR, 16).add(i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(8 * sums[xb + b]);
            IntVector sum1 = i1.lanewise(VectorOperators.ASHR, 16).add(i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(8 * sums[xb + nb + b]);
            IntVector sum2 = i2.lanewise(VectorOperators.ASHR, 16).add(i2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(8 * sums[xb + 2 * nb + b]);
            IntVector sum3 = i3.lanewise(VectorOperators.ASHR, 16).add(i3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(8 * sums[xb + 3 * nb + b]);
            acc0 = ((FloatVector) sum0.convert(VectorOperators.I2F, 0)).fma(dv.mul(xd[xb + b]), acc0);
            acc1 = ((FloatVector) sum1.convert(VectorOperators.I2F, 0)).fma(dv.mul(xd[xb + nb + b]), acc1);
            acc2 = ((FloatVector) sum2.convert(VectorOperators.I2F, 0)).fma(dv.mul(xd[xb + 2 * nb + b]), acc2);
            acc3 = ((FloatVector) sum3.convert(VectorOperators.I2F, 0)).fma(dv.mul(xd[xb + 3 * nb + b]), acc3);
        }
        if (valid == R) {
            acc0.intoArray(y, yo);
            acc1.intoArray(y, yo + out);
            acc2.intoArray(y, yo + 2 * out);
            acc3.intoArray(y, yo + 3 * out);
        } else {
            acc0.intoArray(y, yo, F.indexInRange(0, valid));
            acc1.intoArray(y, yo + out, F.indexInRange(0, valid));
            acc2.intoArray(y, yo + 2 * out, F.indexInRange(0, valid));
            acc3.intoArray(y, yo + 3 * out, F.indexInRange(0, valid));
        }
    }

    private void q8_0x2(Int8Activations x, int m, int g, float[] y, int yo, int out, int valid) {
        int nb = cols / QK, qo = g * groupBytes, half = cols / 2, p = m * half, xb = m * nb, db = g * nb * R;
        int[] pairs = x.pairs();
        float[] xd = x.d();
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < nb; b++, db += R) {
            IntVector sum0 = IntVector.zero(I), sum1 = sum0;
            for (int c = 0; c < 16; c += 2, qo += 2 * CHUNK, p += 2) {
                ShortVector v0 = (ShortVector) ByteVector.fromArray(B, q, qo).convertShape(VectorOperators.B2S, S, 0);
                ShortVector v1 = (ShortVector) ByteVector.fromArray(B, q, qo + CHUNK).convertShape(VectorOperators.B2S, S, 0);
                IntVector i0 = v0.mul(IntVector.broadcast(I, pairs[p]).reinterpretAsShorts())
                        .add(v1.mul(IntVector.broadcast(I, pairs[p + 1]).reinterpretAsShorts())).reinterpretAsInts();
                IntVector i1 = v0.mul(IntVector.broadcast(I, pairs[p + half]).reinterpretAsShorts())
                        .add(v1.mul(IntVector.broadcast(I, pairs[p + half + 1]).reinterpretAsShorts())).reinterpretAsInts();
                sum0 = sum0.add(i0.lanewise(VectorOperators.ASHR, 16)).add(i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                sum1 = sum1.add(i1.lanewise(VectorOperators.ASHR, 16)).add(i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
            }
            FloatVector dv = FloatVector.fromArray(F, d, db);
            acc0 = ((FloatVector) sum0.convert(VectorOperators.I2F, 0)).fma(dv.mul(xd[xb + b]), acc0);
            acc1 = ((FloatVector) sum1.convert(VectorOperators.I2F, 0)).fma(dv.mul(xd[xb + nb + b]), acc1);
        }
        if (valid == R) {
            acc0.intoArray(y, yo);
            acc1.intoArray(y, yo + out);
        } else {
            acc0.intoArray(y, yo, F.indexInRange(0, valid));
            acc1.intoArray(y, yo + out, F.indexInRange(0, valid));
        }
    }

    private void q4_Kx2(Int8Activations x, int m, int g, float[] y, int yo, int out, int valid) {
        int nb = cols / QK_K, qo = g * groupBytes, half = cols / 2, p = m * half, xb = m * nb, db = g * nb * R;
        int[] pairs = x.pairs(), sums = x.sums();
        float[] xd = x.d();
        int so = g * nb * 8 * R, xs = m * (cols / QK), subs = cols / QK;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < nb; b++, db += R) {
            IntVector isum0 = IntVector.zero(I), imin0 = isum0, isum1 = isum0, imin1 = isum0;
            for (int j = 0; j < 8; j++, so += R, xs++) {
                ShortVector s0 = ShortVector.zero(S), s1 = s0;
                for (int c = 0; c < 8; c++, qo += CHUNK, p += 2) {
                    ShortVector v = (ShortVector) ByteVector.fromArray(B, q, qo).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    ShortVector lo = v.and((short) 0xF), hi = v.lanewise(VectorOperators.LSHR, 4);
                    s0 = s0.add(lo.mul(IntVector.broadcast(I, pairs[p]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + 1]).reinterpretAsShorts()));
                    s1 = s1.add(lo.mul(IntVector.broadcast(I, pairs[p + half]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + half + 1]).reinterpretAsShorts()));
                }
                IntVector scale = (IntVector) ByteVector.fromArray(BR, sc, so).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector min = (IntVector) ByteVector.fromArray(BR, mn, so).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector i0 = s0.reinterpretAsInts(), i1 = s1.reinterpretAsInts();
                isum0 = isum0.add(i0.lanewise(VectorOperators.ASHR, 16).add(i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(scale));
                isum1 = isum1.add(i1.lanewise(VectorOperators.ASHR, 16).add(i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(scale));
                imin0 = imin0.add(min.mul(sums[xs]));
                imin1 = imin1.add(min.mul(sums[xs + subs]));
            }
            FloatVector dv = FloatVector.fromArray(F, d, db), mv = FloatVector.fromArray(F, dmin, db);
            float dx0 = xd[xb + b], dx1 = xd[xb + nb + b];
            acc0 = ((FloatVector) isum0.convert(VectorOperators.I2F, 0)).fma(dv.mul(dx0), acc0);
            acc0 = ((FloatVector) imin0.convert(VectorOperators.I2F, 0)).fma(mv.mul(-dx0), acc0);
            acc1 = ((FloatVector) isum1.convert(VectorOperators.I2F, 0)).fma(dv.mul(dx1), acc1);
            acc1 = ((FloatVector) imin1.convert(VectorOperators.I2F, 0)).fma(mv.mul(-dx1), acc1);
        }
        if (valid == R) {
            acc0.intoArray(y, yo);
            acc1.intoArray(y, yo + out);
        } else {
            acc0.intoArray(y, yo, F.indexInRange(0, valid));
            acc1.intoArray(y, yo + out, F.indexInRange(0, valid));
        }
    }

    private void q4_Kx4(Int8Activations x, int m, int g, float[] y, int yo, int out, int valid) {
        int nb = cols / QK_K, qo = g * groupBytes, half = cols / 2, p = m * half, xb = m * nb, db = g * nb * R;
        int[] pairs = x.pairs(), sums = x.sums();
        float[] xd = x.d();
        int so = g * nb * 8 * R, xs = m * (cols / QK), subs = cols / QK;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int b = 0; b < nb; b++, db += R) {
            IntVector isum0 = IntVector.zero(I), isum1 = isum0, isum2 = isum0, isum3 = isum0;
            IntVector imin0 = isum0, imin1 = isum0, imin2 = isum0, imin3 = isum0;
            for (int j = 0; j < 8; j++, so += R, xs++) {
                ShortVector s0 = ShortVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
                for (int c = 0; c < 8; c++, qo += CHUNK, p += 2) {
                    ShortVector v = (ShortVector) ByteVector.fromArray(B, q, qo).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    ShortVector lo = v.and((short) 0xF), hi = v.lanewise(VectorOperators.LSHR, 4);
                    s0 = s0.add(lo.mul(IntVector.broadcast(I, pairs[p]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + 1]).reinterpretAsShorts()));
                    s1 = s1.add(lo.mul(IntVector.broadcast(I, pairs[p + half]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + half + 1]).reinterpretAsShorts()));
                    s2 = s2.add(lo.mul(IntVector.broadcast(I, pairs[p + 2 * half]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + 2 * half + 1]).reinterpretAsShorts()));
                    s3 = s3.add(lo.mul(IntVector.broadcast(I, pairs[p + 3 * half]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I, pairs[p + 3 * half + 1]).reinterpretAsShorts()));
                }
                IntVector scale = (IntVector) ByteVector.fromArray(BR, sc, so).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector min = (IntVector) ByteVector.fromArray(BR, mn, so).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector i0 = s0.reinterpretAsInts(), i1 = s1.reinterpretAsInts(), i2 = s2.reinterpretAsInts(), i3 = s3.reinterpretAsInts();
                isum0 = isum0.add(i0.lanewise(VectorOperators.ASHR, 16).add(i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(scale));
                isum1 = isum1.add(i1.lanewise(VectorOperators.ASHR, 16).add(i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(scale));
                isum2 = isum2.add(i2.lanewise(VectorOperators.ASHR, 16).add(i2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(scale));
                isum3 = isum3.add(i3.lanewise(VectorOperators.ASHR, 16).add(i3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(scale));
                imin0 = imin0.add(min.mul(sums[xs]));
                imin1 = imin1.add(min.mul(sums[xs + subs]));
                imin2 = imin2.add(min.mul(sums[xs + 2 * subs]));
                imin3 = imin3.add(min.mul(sums[xs + 3 * subs]));
            }
            FloatVector dv = FloatVector.fromArray(F, d, db), mv = FloatVector.fromArray(F, dmin, db);
            float dx0 = xd[xb + b], dx1 = xd[xb + nb + b], dx2 = xd[xb + 2 * nb + b], dx3 = xd[xb + 3 * nb + b];
            acc0 = ((FloatVector) isum0.convert(VectorOperators.I2F, 0)).fma(dv.mul(dx0), acc0);
            acc0 = ((FloatVector) imin0.convert(VectorOperators.I2F, 0)).fma(mv.mul(-dx0), acc0);
            acc1 = ((FloatVector) isum1.convert(VectorOperators.I2F, 0)).fma(dv.mul(dx1), acc1);
            acc1 = ((FloatVector) imin1.convert(VectorOperators.I2F, 0)).fma(mv.mul(-dx1), acc1);
            acc2 = ((FloatVector) isum2.convert(VectorOperators.I2F, 0)).fma(dv.mul(dx2), acc2);
            acc2 = ((FloatVector) imin2.convert(VectorOperators.I2F, 0)).fma(mv.mul(-dx2), acc2);
            acc3 = ((FloatVector) isum3.convert(VectorOperators.I2F, 0)).fma(dv.mul(dx3), acc3);
            acc3 = ((FloatVector) imin3.convert(VectorOperators.I2F, 0)).fma(mv.mul(-dx3), acc3);
        }
        if (valid == R) {
            acc0.intoArray(y, yo);
            acc1.intoArray(y, yo + out);
            acc2.intoArray(y, yo + 2 * out);
            acc3.intoArray(y, yo + 3 * out);
        } else {
            acc0.intoArray(y, yo, F.indexInRange(0, valid));
            acc1.intoArray(y, yo + out, F.indexInRange(0, valid));
            acc2.intoArray(y, yo + 2 * out, F.indexInRange(0, valid));
            acc3.intoArray(y, yo + 3 * out, F.indexInRange(0, valid));
        }
    }

    // Tiles of two groups (2R outputs, both full) × four rows of x, for prompts: each activation pair
    // is broadcast once for both groups, where the one-group kernels broadcast it per group, and
    // the broadcasts were what bound them. The nibbles are read as the one-row kernels read them
    // (Int8Activations#steps: no mask).

    private void q4_0Tile(Int8Activations x, int m, int g, float[] y, int yo, int out) {
        int nb = cols / QK, qo = g * groupBytes, half = cols / 2, p = m * half, xb = m * nb, db = g * nb * R;
        int[] steps = x.steps(), sums = x.sums();
        float[] xd = x.d();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < nb; b++, db += R) {
            ShortVector s0 = ShortVector.zero(S), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
            for (int c = 0; c < 8; c++, qo += CHUNK, p += 2) {
                ShortVector v = (ShortVector) ByteVector.fromArray(B, q, qo).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector u = (ShortVector) ByteVector.fromArray(B, q, qo + groupBytes).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector vh = v.lanewise(VectorOperators.LSHR, 4), uh = u.lanewise(VectorOperators.LSHR, 4);
                ShortVector e = IntVector.broadcast(I, steps[p]).reinterpretAsShorts(), o = IntVector.broadcast(I, steps[p + 1]).reinterpretAsShorts();
                s0 = s0.add(v.mul(e)).add(vh.mul(o));
                t0 = t0.add(u.mul(e)).add(uh.mul(o));
                e = IntVector.broadcast(I, steps[p + half]).reinterpretAsShorts();
                o = IntVector.broadcast(I, steps[p + half + 1]).reinterpretAsShorts();
                s1 = s1.add(v.mul(e)).add(vh.mul(o));
                t1 = t1.add(u.mul(e)).add(uh.mul(o));
                e = IntVector.broadcast(I, steps[p + 2 * half]).reinterpretAsShorts();
                o = IntVector.broadcast(I, steps[p + 2 * half + 1]).reinterpretAsShorts();
                s2 = s2.add(v.mul(e)).add(vh.mul(o));
                t2 = t2.add(u.mul(e)).add(uh.mul(o));
                e = IntVector.broadcast(I, steps[p + 3 * half]).reinterpretAsShorts();
                o = IntVector.broadcast(I, steps[p + 3 * half + 1]).reinterpretAsShorts();
                s3 = s3.add(v.mul(e)).add(vh.mul(o));
                t3 = t3.add(u.mul(e)).add(uh.mul(o));
            }
            FloatVector dv = FloatVector.fromArray(F, d, db), du = FloatVector.fromArray(F, d, db + nb * R);
            float x0 = xd[xb + b], x1 = xd[xb + nb + b], x2 = xd[xb + 2 * nb + b], x3 = xd[xb + 3 * nb + b];
            int m0 = 8 * sums[xb + b], m1 = 8 * sums[xb + nb + b], m2 = 8 * sums[xb + 2 * nb + b], m3 = 8 * sums[xb + 3 * nb + b];
            IntVector i = s0.reinterpretAsInts();
            a0 = ((FloatVector) i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(m0).convert(VectorOperators.I2F, 0)).fma(dv.mul(x0), a0);
            i = s1.reinterpretAsInts();
            a1 = ((FloatVector) i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(m1).convert(VectorOperators.I2F, 0)).fma(dv.mul(x1), a1);
            i = s2.reinterpretAsInts();
            a2 = ((FloatVector) i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(m2).convert(VectorOperators.I2F, 0)).fma(dv.mul(x2), a2);
            i = s3.reinterpretAsInts();
            a3 = ((FloatVector) i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(m3).convert(VectorOperators.I2F, 0)).fma(dv.mul(x3), a3);
            i = t0.reinterpretAsInts();
            b0 = ((FloatVector) i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(m0).convert(VectorOperators.I2F, 0)).fma(du.mul(x0), b0);
            i = t1.reinterpretAsInts();
            b1 = ((FloatVector) i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(m1).convert(VectorOperators.I2F, 0)).fma(du.mul(x1), b1);
            i = t2.reinterpretAsInts();
            b2 = ((FloatVector) i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(m2).convert(VectorOperators.I2F, 0)).fma(du.mul(x2), b2);
            i = t3.reinterpretAsInts();
            b3 = ((FloatVector) i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).sub(m3).convert(VectorOperators.I2F, 0)).fma(du.mul(x3), b3);
        }
        a0.intoArray(y, yo);
        a1.intoArray(y, yo + out);
        a2.intoArray(y, yo + 2 * out);
        a3.intoArray(y, yo + 3 * out);
        b0.intoArray(y, yo + R);
        b1.intoArray(y, yo + R + out);
        b2.intoArray(y, yo + R + 2 * out);
        b3.intoArray(y, yo + R + 3 * out);
    }

    // Sixteen float sums would not fit the registers beside the integer ones: each super-block's
    // result is added into y, and the minimums' term is formed after the codes' (it needs no code).
    private void q4_KTile(Int8Activations x, int m, int g, float[] y, int yo, int out) {
        int nb = cols / QK_K, qo = g * groupBytes, half = cols / 2, p = m * half, xb = m * nb, db = g * nb * R;
        int subs = cols / QK, so = g * nb * 8 * R, next = nb * 8 * R, xs = m * subs;
        int[] steps = x.steps(), sums = x.sums();
        float[] xd = x.d();
        for (int n = 0; n < 4; n++) {
            FloatVector.zero(F).intoArray(y, yo + n * out);
            FloatVector.zero(F).intoArray(y, yo + n * out + R);
        }
        for (int b = 0; b < nb; b++, db += R) {
            IntVector a0 = IntVector.zero(I), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int j = 0; j < 8; j++, so += R) {
                ShortVector s0 = ShortVector.zero(S), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
                for (int c = 0; c < 8; c++, qo += CHUNK, p += 2) {
                    ShortVector v = (ShortVector) ByteVector.fromArray(B, q, qo).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    ShortVector u = (ShortVector) ByteVector.fromArray(B, q, qo + groupBytes).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                    ShortVector vh = v.lanewise(VectorOperators.LSHR, 4), uh = u.lanewise(VectorOperators.LSHR, 4);
                    ShortVector e = IntVector.broadcast(I, steps[p]).reinterpretAsShorts(), o = IntVector.broadcast(I, steps[p + 1]).reinterpretAsShorts();
                    s0 = s0.add(v.mul(e)).add(vh.mul(o));
                    t0 = t0.add(u.mul(e)).add(uh.mul(o));
                    e = IntVector.broadcast(I, steps[p + half]).reinterpretAsShorts();
                    o = IntVector.broadcast(I, steps[p + half + 1]).reinterpretAsShorts();
                    s1 = s1.add(v.mul(e)).add(vh.mul(o));
                    t1 = t1.add(u.mul(e)).add(uh.mul(o));
                    e = IntVector.broadcast(I, steps[p + 2 * half]).reinterpretAsShorts();
                    o = IntVector.broadcast(I, steps[p + 2 * half + 1]).reinterpretAsShorts();
                    s2 = s2.add(v.mul(e)).add(vh.mul(o));
                    t2 = t2.add(u.mul(e)).add(uh.mul(o));
                    e = IntVector.broadcast(I, steps[p + 3 * half]).reinterpretAsShorts();
                    o = IntVector.broadcast(I, steps[p + 3 * half + 1]).reinterpretAsShorts();
                    s3 = s3.add(v.mul(e)).add(vh.mul(o));
                    t3 = t3.add(u.mul(e)).add(uh.mul(o));
                }
                IntVector sv = (IntVector) ByteVector.fromArray(BR, sc, so).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector su = (IntVector) ByteVector.fromArray(BR, sc, so + next).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector i = s0.reinterpretAsInts();
                a0 = a0.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(sv));
                i = s1.reinterpretAsInts();
                a1 = a1.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(sv));
                i = s2.reinterpretAsInts();
                a2 = a2.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(sv));
                i = s3.reinterpretAsInts();
                a3 = a3.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(sv));
                i = t0.reinterpretAsInts();
                b0 = b0.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(su));
                i = t1.reinterpretAsInts();
                b1 = b1.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(su));
                i = t2.reinterpretAsInts();
                b2 = b2.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(su));
                i = t3.reinterpretAsInts();
                b3 = b3.add(i.lanewise(VectorOperators.ASHR, 16).add(i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(su));
            }
            IntVector n0 = IntVector.zero(I), n1 = n0, n2 = n0, n3 = n0, k0 = n0, k1 = n0, k2 = n0, k3 = n0;
            for (int j = 0, sj = so - 8 * R, xj = xs + 8 * b; j < 8; j++, sj += R, xj++) {
                IntVector mv = (IntVector) ByteVector.fromArray(BR, mn, sj).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector mu = (IntVector) ByteVector.fromArray(BR, mn, sj + next).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                int x0 = sums[xj], x1 = sums[xj + subs], x2 = sums[xj + 2 * subs], x3 = sums[xj + 3 * subs];
                n0 = n0.add(mv.mul(x0));
                n1 = n1.add(mv.mul(x1));
                n2 = n2.add(mv.mul(x2));
                n3 = n3.add(mv.mul(x3));
                k0 = k0.add(mu.mul(x0));
                k1 = k1.add(mu.mul(x1));
                k2 = k2.add(mu.mul(x2));
                k3 = k3.add(mu.mul(x3));
            }
            FloatVector dv = FloatVector.fromArray(F, d, db), du = FloatVector.fromArray(F, d, db + nb * R);
            FloatVector mv = FloatVector.fromArray(F, dmin, db), mu = FloatVector.fromArray(F, dmin, db + nb * R);
            float x0 = xd[xb + b], x1 = xd[xb + nb + b], x2 = xd[xb + 2 * nb + b], x3 = xd[xb + 3 * nb + b];
            int y0 = yo, y1 = yo + out, y2 = yo + 2 * out, y3 = yo + 3 * out;
            ((FloatVector) n0.convert(VectorOperators.I2F, 0)).fma(mv.mul(-x0), ((FloatVector) a0.convert(VectorOperators.I2F, 0)).fma(dv.mul(x0), FloatVector.fromArray(F, y, y0))).intoArray(y, y0);
            ((FloatVector) n1.convert(VectorOperators.I2F, 0)).fma(mv.mul(-x1), ((FloatVector) a1.convert(VectorOperators.I2F, 0)).fma(dv.mul(x1), FloatVector.fromArray(F, y, y1))).intoArray(y, y1);
            ((FloatVector) n2.convert(VectorOperators.I2F, 0)).fma(mv.mul(-x2), ((FloatVector) a2.convert(VectorOperators.I2F, 0)).fma(dv.mul(x2), FloatVector.fromArray(F, y, y2))).intoArray(y, y2);
            ((FloatVector) n3.convert(VectorOperators.I2F, 0)).fma(mv.mul(-x3), ((FloatVector) a3.convert(VectorOperators.I2F, 0)).fma(dv.mul(x3), FloatVector.fromArray(F, y, y3))).intoArray(y, y3);
            ((FloatVector) k0.convert(VectorOperators.I2F, 0)).fma(mu.mul(-x0), ((FloatVector) b0.convert(VectorOperators.I2F, 0)).fma(du.mul(x0), FloatVector.fromArray(F, y, y0 + R))).intoArray(y, y0 + R);
            ((FloatVector) k1.convert(VectorOperators.I2F, 0)).fma(mu.mul(-x1), ((FloatVector) b1.convert(VectorOperators.I2F, 0)).fma(du.mul(x1), FloatVector.fromArray(F, y, y1 + R))).intoArray(y, y1 + R);
            ((FloatVector) k2.convert(VectorOperators.I2F, 0)).fma(mu.mul(-x2), ((FloatVector) b2.convert(VectorOperators.I2F, 0)).fma(du.mul(x2), FloatVector.fromArray(F, y, y2 + R))).intoArray(y, y2 + R);
            ((FloatVector) k3.convert(VectorOperators.I2F, 0)).fma(mu.mul(-x3), ((FloatVector) b3.convert(VectorOperators.I2F, 0)).fma(du.mul(x3), FloatVector.fromArray(F, y, y3 + R))).intoArray(y, y3 + R);
        }
    }

    private void q6_Kx2(Int8Activations x, int m, int g, float[] y, int yo, int out, int valid) {
        final byte[] q = this.q, sc = this.sc;
        final float[] d = this.d;
        final int[] f = x.fields();
        int nb = cols / QK_K, q0 = g * groupBytes, rowFields = (cols / 16) * FIELDS, f0 = m * rowFields, xb = m * nb, d0 = g * nb * R, s0 = g * nb * 16 * R;
        float[] xd = x.d();
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < nb; b++) {
            IntVector isum0 = IntVector.zero(I), isum1 = isum0;
            for (int j = 0; j < 16; j++) {
                int sub = 16 * b + j, fo = f0 + FIELDS * sub, fp = fo + rowFields, qo = q0 + 3 * WORDS * sub;
                // The words and their shifts once for both rows.
                ShortVector w0 = ByteVector.fromArray(BW, q, qo).reinterpretAsShorts();
                ShortVector w1 = ByteVector.fromArray(BW, q, qo + WORDS).reinterpretAsShorts();
                ShortVector w2 = ByteVector.fromArray(BW, q, qo + 2 * WORDS).reinterpretAsShorts();
                ShortVector w06 = w0.lanewise(VectorOperators.LSHR, 6), w012 = w0.lanewise(VectorOperators.LSHR, 12);
                ShortVector w16 = w1.lanewise(VectorOperators.LSHR, 6), w112 = w1.lanewise(VectorOperators.LSHR, 12), w114 = w1.lanewise(VectorOperators.LSHR, 14);
                ShortVector w26 = w2.lanewise(VectorOperators.LSHR, 6), w212 = w2.lanewise(VectorOperators.LSHR, 12);
                ShortVector p0 = w0.mul(IntVector.broadcast(I, f[fo]).reinterpretAsShorts())
                        .add(w06.mul(IntVector.broadcast(I, f[fo + 1]).reinterpretAsShorts()))
                        .add(w012.mul(IntVector.broadcast(I, f[fo + 2]).reinterpretAsShorts()))
                        .add(IntVector.broadcast(I, f[fo + 10]).reinterpretAsShorts());
                ShortVector p1 = w1.mul(IntVector.broadcast(I, f[fo + 3]).reinterpretAsShorts())
                        .add(w16.mul(IntVector.broadcast(I, f[fo + 4]).reinterpretAsShorts()))
                        .add(w112.mul(IntVector.broadcast(I, f[fo + 5]).reinterpretAsShorts()))
                        .add(w114.mul(IntVector.broadcast(I, f[fo + 6]).reinterpretAsShorts()));
                ShortVector p2 = w2.mul(IntVector.broadcast(I, f[fo + 7]).reinterpretAsShorts())
                        .add(w26.mul(IntVector.broadcast(I, f[fo + 8]).reinterpretAsShorts()))
                        .add(w212.mul(IntVector.broadcast(I, f[fo + 9]).reinterpretAsShorts()));
                ShortVector r0 = w0.mul(IntVector.broadcast(I, f[fp]).reinterpretAsShorts())
                        .add(w06.mul(IntVector.broadcast(I, f[fp + 1]).reinterpretAsShorts()))
                        .add(w012.mul(IntVector.broadcast(I, f[fp + 2]).reinterpretAsShorts()))
                        .add(IntVector.broadcast(I, f[fp + 10]).reinterpretAsShorts());
                ShortVector r1 = w1.mul(IntVector.broadcast(I, f[fp + 3]).reinterpretAsShorts())
                        .add(w16.mul(IntVector.broadcast(I, f[fp + 4]).reinterpretAsShorts()))
                        .add(w112.mul(IntVector.broadcast(I, f[fp + 5]).reinterpretAsShorts()))
                        .add(w114.mul(IntVector.broadcast(I, f[fp + 6]).reinterpretAsShorts()));
                ShortVector r2 = w2.mul(IntVector.broadcast(I, f[fp + 7]).reinterpretAsShorts())
                        .add(w26.mul(IntVector.broadcast(I, f[fp + 8]).reinterpretAsShorts()))
                        .add(w212.mul(IntVector.broadcast(I, f[fp + 9]).reinterpretAsShorts()));
                IntVector scale = (IntVector) ByteVector.fromArray(BR, sc, s0 + sub * R).convertShape(VectorOperators.B2I, I, 0);
                IntVector i0 = p0.add(p1).add(p2).reinterpretAsInts(), i1 = r0.add(r1).add(r2).reinterpretAsInts();
                isum0 = isum0.add(i0.lanewise(VectorOperators.ASHR, 16).add(i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(scale));
                isum1 = isum1.add(i1.lanewise(VectorOperators.ASHR, 16).add(i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).mul(scale));
            }
            FloatVector dv = FloatVector.fromArray(F, d, d0 + b * R);
            acc0 = ((FloatVector) isum0.convert(VectorOperators.I2F, 0)).fma(dv.mul(xd[xb + b]), acc0);
            acc1 = ((FloatVector) isum1.convert(VectorOperators.I2F, 0)).fma(dv.mul(xd[xb + nb + b]), acc1);
        }
        if (valid == R) {
            acc0.intoArray(y, yo);
            acc1.intoArray(y, yo + out);
        } else {
            acc0.intoArray(y, yo, F.indexInRange(0, valid));
            acc1.intoArray(y, yo + out, F.indexInRange(0, valid));
        }
    }
}
