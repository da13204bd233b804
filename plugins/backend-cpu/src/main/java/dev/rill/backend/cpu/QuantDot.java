package dev.rill.backend.cpu;

import dev.rill.spi.BlockFormats;
import dev.rill.spi.Tensor.DType;
import dev.rill.tensor.Vec;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

import static dev.rill.spi.BlockFormats.QK;
import static dev.rill.spi.BlockFormats.QK_K;
import static dev.rill.spi.BlockFormats.half;

/**
 * Dot products of one stored weight row with a float32 activation vector, straight from the
 * block format: each block's integers are widened to float lanes in registers and multiplied with
 * the activations, and the block's scale is applied once per block, so no row is ever
 * dequantized to memory. 256-bit vectors (8 float lanes); where the CPU has narrower vectors the
 * scalar definition in {@link BlockFormats} is used instead.
 */
public final class QuantDot {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Whether the vector kernels written for 256-bit vectors run (the CPU has at least 256-bit vectors). */
    static final boolean VECTOR = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256 && !Boolean.getBoolean("rill.scalarQuant");
    /**
     * Whether the kernels written for the preferred vector, of any width, run: the float panels and
     * tiles and F16 rows (128-bit vectors too: NEON, SSE).
     */
    static final boolean PREFERRED = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 128 && !Boolean.getBoolean("rill.scalarQuant");

    private QuantDot() {
    }

    /** {@code Σ row[i]·x[xo+i]} for {@code i < n}, the row starting at byte {@code off} of {@code s}. */
    public static float dot(DType t, MemorySegment s, long off, float[] x, int xo, int n) {
        if (!VECTOR) return scalar(t, s, off, x, xo, n);
        return switch (t) {
            case F32 -> f32(s, off, x, xo, n);
            case F16 -> f16Scaled(s, off, scaled(x, xo, n), 0, n);
            case BF16 -> bf16(s, off, x, xo, n);
            case Q8_0 -> q8_0(s, off, x, xo, n);
            case Q4_0 -> q4_0(s, off, x, xo, n);
            case Q4_K -> q4_K(s, off, x, xo, n);
            case Q5_K -> q5_K(s, off, x, xo, n);
            case Q6_K -> q6_K(s, off, x, xo, n);
        };
    }

    /** {@link BlockFormats#dequantize}, with the 16-bit float types and Q8_0 converted a vector at a time. */
    static void dequantize(DType t, MemorySegment s, long off, float[] out, int oo, int n) {
        if (VECTOR && t == DType.Q8_0) {
            for (int b = 0; b < n / QK; b++, off += 34) {
                FloatVector d = FloatVector.broadcast(F, half(s, off));
                for (int j = 0; j < QK; j += 8) int8s(s, off + 2 + j).mul(d).intoArray(out, oo + b * QK + j);
            }
            return;
        }
        if (!VECTOR || (t != DType.F16 && t != DType.BF16)) {
            BlockFormats.dequantize(t, s, off, out, oo, n);
            return;
        }
        int L = FW.length(), i = 0;
        for (; i + L <= n; i += L) (t == DType.F16 ? halves(s, off + 2L * i) : bf16s(s, off + 2L * i)).intoArray(out, oo + i);
        if (i < n) BlockFormats.dequantize(t, s, off + 2L * i, out, oo + i, n - i);
    }

    /** The definition: dequantize a block at a time, then multiply. */
    static float scalar(DType t, MemorySegment s, long off, float[] x, int xo, int n) {
        int bs = Math.max(BlockFormats.blockSize(t), 256);
        float[] tmp = new float[Math.min(n, bs)];
        float sum = 0;
        for (int i = 0; i < n; i += tmp.length) {
            int len = Math.min(tmp.length, n - i);
            BlockFormats.dequantize(t, s, off + BlockFormats.rowBytes(t, i), tmp, 0, len);
            sum += Vec.dot(tmp, 0, x, xo + i, len);
        }
        return sum;
    }

    static float f32(MemorySegment s, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 32 <= n; i += 32) {
            long o = off + 4L * i;
            a0 = FloatVector.fromMemorySegment(F, s, o, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromMemorySegment(F, s, o + 32, LE).fma(FloatVector.fromArray(F, x, xo + i + 8), a1);
            a2 = FloatVector.fromMemorySegment(F, s, o + 64, LE).fma(FloatVector.fromArray(F, x, xo + i + 16), a2);
            a3 = FloatVector.fromMemorySegment(F, s, o + 96, LE).fma(FloatVector.fromArray(F, x, xo + i + 24), a3);
        }
        for (; i + 8 <= n; i += 8) a0 = FloatVector.fromMemorySegment(F, s, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += s.get(BlockFormats.F32, off + 4L * i) * x[xo + i];
        return sum;
    }

    /** Full-width vectors for the 16-bit float types (memory-bound: one conversion per weight). */
    static final VectorSpecies<Float> FW = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IW = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SW = VectorSpecies.of(short.class, VectorShape.forBitSize(FW.vectorBitSize() / 2));

    /**
     * {@code FW.length()} halves at {@code o} as floats. Sign-extended to 32 bits and shifted up by
     * 13, a half's sign fills bits 28..31 and its exponent and mantissa land where a float's go;
     * clearing bits 28..30 leaves a float 2^−112 times the half, exact for finite halves (zero and
     * subnormals included), and one multiply rebases it. Written out rather than as
     * {@code tiny(s, o).mul(..)}: with that call, F16 decode through {@link #tiny} measured 3–6 % slower
     * in four interleaved runs (how C2 then compiled the shared helper).
     */
    static FloatVector halves(MemorySegment s, long o) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SW, s, o, LE).convertShape(VectorOperators.S2I, IW, 0);
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats().mul(0x1p112f);
    }

    /** {@link #halves} without the rebasing multiply: each value 2^−112 times the half (a dot product rebases its sum once). */
    static FloatVector tiny(MemorySegment s, long o) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SW, s, o, LE).convertShape(VectorOperators.S2I, IW, 0);
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats();
    }

    /** The scale of the activations {@link #f16Scaled} takes, so that products of {@link #tiny} halves with them stay normal floats. */
    static final float XS = 0x1p40f;

    /** {@code x[xo .. xo+n)·}{@link #XS}, the activations {@link #f16Scaled} and {@link #f16x4Scaled} take. */
    static float[] scaled(float[] x, int xo, int n) {
        float[] xs = Arrays.copyOfRange(x, xo, xo + n);
        Vec.scale(XS, xs, 0, n);
        return xs;
    }

    /**
     * {@code Σ row[i]·x[i]} for an F16 row, given {@code xs = x·}{@link #XS} ({@link #scaled}): a half
     * becomes a float in three vector operations instead of four ({@link #tiny}), its 2^−112 and the
     * activations' 2^40 taken out of the sum once.
     * Decode through F16 weights is bound by these conversions (one per weight).
     */
    static float f16Scaled(MemorySegment s, long off, float[] xs, int xo, int n) {
        FloatVector a0 = FloatVector.zero(FW), a1 = a0, a2 = a0, a3 = a0;
        int L = FW.length(), i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            a0 = tiny(s, off + 2L * i).fma(FloatVector.fromArray(FW, xs, xo + i), a0);
            a1 = tiny(s, off + 2L * (i + L)).fma(FloatVector.fromArray(FW, xs, xo + i + L), a1);
            a2 = tiny(s, off + 2L * (i + 2 * L)).fma(FloatVector.fromArray(FW, xs, xo + i + 2 * L), a2);
            a3 = tiny(s, off + 2L * (i + 3 * L)).fma(FloatVector.fromArray(FW, xs, xo + i + 3 * L), a3);
        }
        for (; i + L <= n; i += L) a0 = tiny(s, off + 2L * i).fma(FloatVector.fromArray(FW, xs, xo + i), a0);
        float tail = 0;
        for (; i < n; i++) tail += half(s, off + 2L * i) * xs[xo + i];
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD) * 0x1p72f + tail / XS;
    }

    /**
     * {@link #f16Scaled} for four rows {@code rowBytes} apart, into {@code y[yo..yo+3]}: each load of
     * the activations serves four rows. For rows whose activations do not fit L1 (8,192 floats and
     * more), where one row at a time streamed 2048×8192 at 9–12 GB/s against 21–29 for narrower
     * matrices (four rows: 19). Written out with no helper, as {@link PackedWeights}' kernels are.
     */
    static void f16x4Scaled(MemorySegment s, long off, long rowBytes, float[] xs, int xo, int n, float[] y, int yo) {
        FloatVector a0 = FloatVector.zero(FW), a1 = a0, a2 = a0, a3 = a0;
        int L = FW.length(), i = 0;
        long o1 = off + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
        for (; i + L <= n; i += L) {
            FloatVector x = FloatVector.fromArray(FW, xs, xo + i);
            a0 = ((IntVector) ShortVector.fromMemorySegment(SW, s, off + 2L * i, LE).convertShape(VectorOperators.S2I, IW, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats().fma(x, a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(SW, s, o1 + 2L * i, LE).convertShape(VectorOperators.S2I, IW, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats().fma(x, a1);
            a2 = ((IntVector) ShortVector.fromMemorySegment(SW, s, o2 + 2L * i, LE).convertShape(VectorOperators.S2I, IW, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats().fma(x, a2);
            a3 = ((IntVector) ShortVector.fromMemorySegment(SW, s, o3 + 2L * i, LE).convertShape(VectorOperators.S2I, IW, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats().fma(x, a3);
        }
        float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (; i < n; i++) {
            float x = xs[xo + i];
            t0 += half(s, off + 2L * i) * x;
            t1 += half(s, o1 + 2L * i) * x;
            t2 += half(s, o2 + 2L * i) * x;
            t3 += half(s, o3 + 2L * i) * x;
        }
        y[yo] = a0.reduceLanes(VectorOperators.ADD) * 0x1p72f + t0 / XS;
        y[yo + 1] = a1.reduceLanes(VectorOperators.ADD) * 0x1p72f + t1 / XS;
        y[yo + 2] = a2.reduceLanes(VectorOperators.ADD) * 0x1p72f + t2 / XS;
        y[yo + 3] = a3.reduceLanes(VectorOperators.ADD) * 0x1p72f + t3 / XS;
    }

    static FloatVector bf16s(MemorySegment s, long o) {
        return ((IntVector) ShortVector.fromMemorySegment(SW, s, o, LE).convertShape(VectorOperators.S2I, IW, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float bf16(MemorySegment s, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(FW), a1 = a0;
        int L = FW.length(), i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = bf16s(s, off + 2L * i).fma(FloatVector.fromArray(FW, x, xo + i), a0);
            a1 = bf16s(s, off + 2L * (i + L)).fma(FloatVector.fromArray(FW, x, xo + i + L), a1);
        }
        float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += Float.intBitsToFloat(s.get(BlockFormats.I16, off + 2L * i) << 16) * x[xo + i];
        return sum;
    }

    /** Eight int8 at {@code o} as float lanes. */
    static FloatVector int8s(MemorySegment s, long o) {
        return (FloatVector) ByteVector.fromMemorySegment(B64, s, o, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    static float q8_0(MemorySegment s, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F), acc2 = acc;
        int nb = n / QK, b = 0;
        for (; b + 2 <= nb; b += 2, off += 68) {
            int xb = xo + b * QK;
            FloatVector p = int8s(s, off + 2).mul(FloatVector.fromArray(F, x, xb));
            p = int8s(s, off + 10).fma(FloatVector.fromArray(F, x, xb + 8), p);
            p = int8s(s, off + 18).fma(FloatVector.fromArray(F, x, xb + 16), p);
            p = int8s(s, off + 26).fma(FloatVector.fromArray(F, x, xb + 24), p);
            FloatVector r = int8s(s, off + 36).mul(FloatVector.fromArray(F, x, xb + 32));
            r = int8s(s, off + 44).fma(FloatVector.fromArray(F, x, xb + 40), r);
            r = int8s(s, off + 52).fma(FloatVector.fromArray(F, x, xb + 48), r);
            r = int8s(s, off + 60).fma(FloatVector.fromArray(F, x, xb + 56), r);
            acc = p.fma(FloatVector.broadcast(F, half(s, off)), acc);
            acc2 = r.fma(FloatVector.broadcast(F, half(s, off + 34)), acc2);
        }
        for (; b < nb; b++, off += 34) {
            int xb = xo + b * QK;
            FloatVector p = int8s(s, off + 2).mul(FloatVector.fromArray(F, x, xb));
            p = int8s(s, off + 10).fma(FloatVector.fromArray(F, x, xb + 8), p);
            p = int8s(s, off + 18).fma(FloatVector.fromArray(F, x, xb + 16), p);
            p = int8s(s, off + 26).fma(FloatVector.fromArray(F, x, xb + 24), p);
            acc = p.fma(FloatVector.broadcast(F, half(s, off)), acc);
        }
        return acc.add(acc2).reduceLanes(VectorOperators.ADD);
    }

    static float q4_0(MemorySegment s, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int nb = n / QK;
        for (int b = 0; b < nb; b++, off += 18) {
            int xb = xo + b * QK;
            // Byte j holds element j (low nibble) and element j + 16 (high nibble). Eight bytes at a
            // time, so every int8 → float conversion is of a vector's first part (the cheap one).
            ByteVector q0 = ByteVector.fromMemorySegment(B64, s, off + 2, LE);
            ByteVector q1 = ByteVector.fromMemorySegment(B64, s, off + 10, LE);
            FloatVector p = nibbles(q0.and((byte) 0xF)).mul(FloatVector.fromArray(F, x, xb));
            p = nibbles(q1.and((byte) 0xF)).fma(FloatVector.fromArray(F, x, xb + 8), p);
            p = nibbles(q0.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(F, x, xb + 16), p);
            p = nibbles(q1.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(F, x, xb + 24), p);
            acc = p.fma(FloatVector.broadcast(F, half(s, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Eight 4-bit values (0..15) as float lanes minus Q4_0's offset 8. */
    private static FloatVector nibbles(ByteVector q) {
        return (FloatVector) q.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    /** Σ of the 32 nibble values (low or high) at {@code qs} times {@code x[xb..xb+32)}, and Σ x. */
    private static FloatVector nibbleDot(ByteVector q, float[] x, int xb) {
        FloatVector p = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb));
        p = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + 8), p);
        p = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 2)).fma(FloatVector.fromArray(F, x, xb + 16), p);
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F, 3)).fma(FloatVector.fromArray(F, x, xb + 24), p);
    }

    private static FloatVector sum32(float[] x, int xb) {
        return FloatVector.fromArray(F, x, xb).add(FloatVector.fromArray(F, x, xb + 8))
                .add(FloatVector.fromArray(F, x, xb + 16).add(FloatVector.fromArray(F, x, xb + 24)));
    }

    static float q4_K(MemorySegment s, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK_K; b++, off += 144) {
            float d = half(s, off), dmin = half(s, off + 2);
            long sc = off + 4;
            for (int g = 0; g < 4; g++) {
                int xb = xo + b * QK_K + 64 * g;
                ByteVector q = ByteVector.fromMemorySegment(B256, s, off + 16 + 32 * g, LE);
                FloatVector lo = nibbleDot(q.and((byte) 0xF), x, xb);
                FloatVector hi = nibbleDot(q.lanewise(VectorOperators.LSHR, 4), x, xb + 32);
                acc = lo.fma(FloatVector.broadcast(F, d * BlockFormats.scaleK4(s, sc, 2 * g)), acc);
                acc = hi.fma(FloatVector.broadcast(F, d * BlockFormats.scaleK4(s, sc, 2 * g + 1)), acc);
                acc = sum32(x, xb).fma(FloatVector.broadcast(F, -dmin * BlockFormats.minK4(s, sc, 2 * g)), acc);
                acc = sum32(x, xb + 32).fma(FloatVector.broadcast(F, -dmin * BlockFormats.minK4(s, sc, 2 * g + 1)), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float q5_K(MemorySegment s, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK_K; b++, off += 176) {
            float d = half(s, off), dmin = half(s, off + 2);
            long sc = off + 4;
            ByteVector qh = ByteVector.fromMemorySegment(B256, s, off + 16, LE);
            for (int g = 0; g < 4; g++) {
                int xb = xo + b * QK_K + 64 * g;
                ByteVector q = ByteVector.fromMemorySegment(B256, s, off + 48 + 32 * g, LE);
                ByteVector h0 = qh.lanewise(VectorOperators.LSHR, 2 * g).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
                ByteVector h1 = qh.lanewise(VectorOperators.LSHR, 2 * g + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
                FloatVector lo = nibbleDot(q.and((byte) 0xF).or(h0), x, xb);
                FloatVector hi = nibbleDot(q.lanewise(VectorOperators.LSHR, 4).or(h1), x, xb + 32);
                acc = lo.fma(FloatVector.broadcast(F, d * BlockFormats.scaleK4(s, sc, 2 * g)), acc);
                acc = hi.fma(FloatVector.broadcast(F, d * BlockFormats.scaleK4(s, sc, 2 * g + 1)), acc);
                acc = sum32(x, xb).fma(FloatVector.broadcast(F, -dmin * BlockFormats.minK4(s, sc, 2 * g)), acc);
                acc = sum32(x, xb + 32).fma(FloatVector.broadcast(F, -dmin * BlockFormats.minK4(s, sc, 2 * g + 1)), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float q6_K(MemorySegment s, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / QK_K; b++, off += 210) {
            float d = half(s, off + 208);
            long sc = off + 192;
            for (int h = 0; h < 2; h++) {
                for (int c = 0; c < 4; c++) {
                    long l = 8L * c;
                    ByteVector lo0 = ByteVector.fromMemorySegment(B64, s, off + 64 * h + l, LE);
                    ByteVector lo1 = ByteVector.fromMemorySegment(B64, s, off + 64 * h + 32 + l, LE);
                    ByteVector hi = ByteVector.fromMemorySegment(B64, s, off + 128 + 32 * h + l, LE);
                    ByteVector q1 = lo0.and((byte) 0xF).or(hi.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q2 = lo1.and((byte) 0xF).or(hi.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q3 = lo0.lanewise(VectorOperators.LSHR, 4).or(hi.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    ByteVector q4 = lo1.lanewise(VectorOperators.LSHR, 4).or(hi.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    int is = 8 * h + c / 2;
                    int xb = xo + b * QK_K + 128 * h + 8 * c;
                    acc = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, 0)).mul(d * s.get(BlockFormats.I8, sc + is)).fma(FloatVector.fromArray(F, x, xb), acc);
                    acc = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, 0)).mul(d * s.get(BlockFormats.I8, sc + is + 2)).fma(FloatVector.fromArray(F, x, xb + 32), acc);
                    acc = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, 0)).mul(d * s.get(BlockFormats.I8, sc + is + 4)).fma(FloatVector.fromArray(F, x, xb + 64), acc);
                    acc = ((FloatVector) q4.convertShape(VectorOperators.B2F, F, 0)).mul(d * s.get(BlockFormats.I8, sc + is + 6)).fma(FloatVector.fromArray(F, x, xb + 96), acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
