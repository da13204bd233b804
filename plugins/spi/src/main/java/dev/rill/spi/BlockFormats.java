package dev.rill.spi;

import dev.rill.spi.Tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * GGML's storage formats, element by element: sizes, dequantization (the definition the fast
 * kernels in {@link QuantDot} must agree with) and quantization. All little-endian.
 *
 * <ul>
 * <li>F32, F16 (IEEE half), BF16 (the top 16 bits of a float32).</li>
 * <li>Q8_0: blocks of 32 = fp16 scale {@code d}, 32 × int8 {@code q}; {@code x = d·q}.</li>
 * <li>Q4_0: blocks of 32 = fp16 {@code d}, 16 bytes; byte {@code j} holds element {@code j} in its
 *     low nibble and {@code j+16} in its high nibble; {@code x = d·(q − 8)}.</li>
 * <li>Q4_K: super-blocks of 256 = fp16 {@code d}, fp16 {@code dmin}, 12 bytes of eight 6-bit
 *     scales and mins, 128 bytes of nibbles; {@code x = d·sc·q − dmin·m} per sub-block of 32.</li>
 * <li>Q5_K: as Q4_K plus 32 bytes of fifth bits ({@code qh}) before the nibbles.</li>
 * <li>Q6_K: super-blocks of 256 = 128 bytes of low nibbles, 64 bytes of high 2-bit pairs,
 *     16 int8 scales (one per 16 elements), fp16 {@code d}; {@code x = d·sc·(q − 32)}.</li>
 * </ul>
 */
public final class BlockFormats {

    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;

    public static final int QK = 32, QK_K = 256;

    private BlockFormats() {
    }

    public static int blockSize(DType t) {
        return switch (t) {
            case F32, F16, BF16 -> 1;
            case Q8_0, Q4_0 -> QK;
            case Q4_K, Q5_K, Q6_K -> QK_K;
        };
    }

    public static int blockBytes(DType t) {
        return switch (t) {
            case F32 -> 4;
            case F16, BF16 -> 2;
            case Q8_0 -> 34;
            case Q4_0 -> 18;
            case Q4_K -> 144;
            case Q5_K -> 176;
            case Q6_K -> 210;
        };
    }

    public static long rowBytes(DType t, int cols) {
        return (long) cols / blockSize(t) * blockBytes(t);
    }

    public static float half(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(I16, off));
    }

    public static int u8(MemorySegment s, long off) {
        return Byte.toUnsignedInt(s.get(I8, off));
    }

    /** Q4_K/Q5_K: the 6-bit scale (index 0) and min (index 1) of sub-block {@code j} from the 12 packed bytes at {@code off}. */
    public static int scaleK4(MemorySegment s, long off, int j) {
        return j < 4 ? u8(s, off + j) & 63 : (u8(s, off + j + 4) & 0xF) | ((u8(s, off + j - 4) >> 6) << 4);
    }

    public static int minK4(MemorySegment s, long off, int j) {
        return j < 4 ? u8(s, off + j + 4) & 63 : (u8(s, off + j + 4) >> 4) | ((u8(s, off + j) >> 6) << 4);
    }

    /** Elements {@code [0, n)} of a row starting at byte {@code off} into {@code out[oo..]}; {@code n} a multiple of the block size. */
    public static void dequantize(DType t, MemorySegment s, long off, float[] out, int oo, int n) {
        switch (t) {
            case F32 -> MemorySegment.copy(s, F32, off, out, oo, n);
            case F16 -> {
                for (int i = 0; i < n; i++) out[oo + i] = Float.float16ToFloat(s.get(I16, off + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) out[oo + i] = Float.intBitsToFloat(s.get(I16, off + 2L * i) << 16);
            }
            case Q8_0 -> {
                for (int b = 0; b < n / QK; b++, off += 34) {
                    float d = half(s, off);
                    for (int j = 0; j < QK; j++) out[oo + b * QK + j] = d * s.get(I8, off + 2 + j);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / QK; b++, off += 18) {
                    float d = half(s, off);
                    int o = oo + b * QK;
                    for (int j = 0; j < 16; j++) {
                        int q = u8(s, off + 2 + j);
                        out[o + j] = d * ((q & 0xF) - 8);
                        out[o + j + 16] = d * ((q >> 4) - 8);
                    }
                }
            }
            case Q4_K -> {
                for (int b = 0; b < n / QK_K; b++, off += 144) {
                    float d = half(s, off), dmin = half(s, off + 2);
                    long sc = off + 4, qs = off + 16;
                    int o = oo + b * QK_K;
                    for (int g = 0; g < 4; g++) {
                        float d1 = d * scaleK4(s, sc, 2 * g), m1 = dmin * minK4(s, sc, 2 * g);
                        float d2 = d * scaleK4(s, sc, 2 * g + 1), m2 = dmin * minK4(s, sc, 2 * g + 1);
                        for (int l = 0; l < 32; l++) {
                            int q = u8(s, qs + 32 * g + l);
                            out[o + 64 * g + l] = d1 * (q & 0xF) - m1;
                            out[o + 64 * g + 32 + l] = d2 * (q >> 4) - m2;
                        }
                    }
                }
            }
            case Q5_K -> {
                for (int b = 0; b < n / QK_K; b++, off += 176) {
                    float d = half(s, off), dmin = half(s, off + 2);
                    long sc = off + 4, qh = off + 16, qs = off + 48;
                    int o = oo + b * QK_K;
                    for (int g = 0; g < 4; g++) {
                        float d1 = d * scaleK4(s, sc, 2 * g), m1 = dmin * minK4(s, sc, 2 * g);
                        float d2 = d * scaleK4(s, sc, 2 * g + 1), m2 = dmin * minK4(s, sc, 2 * g + 1);
                        for (int l = 0; l < 32; l++) {
                            int q = u8(s, qs + 32 * g + l), h = u8(s, qh + l);
                            out[o + 64 * g + l] = d1 * ((q & 0xF) | (((h >> (2 * g)) & 1) << 4)) - m1;
                            out[o + 64 * g + 32 + l] = d2 * ((q >> 4) | (((h >> (2 * g + 1)) & 1) << 4)) - m2;
                        }
                    }
                }
            }
            case Q6_K -> {
                for (int b = 0; b < n / QK_K; b++, off += 210) {
                    long ql = off, qh = off + 128, sc = off + 192;
                    float d = half(s, off + 208);
                    int o = oo + b * QK_K;
                    for (int h = 0; h < 2; h++) {
                        for (int l = 0; l < 32; l++) {
                            int lo0 = u8(s, ql + 64 * h + l), lo1 = u8(s, ql + 64 * h + 32 + l), hi = u8(s, qh + 32 * h + l);
                            int is = 8 * h + l / 16;
                            out[o + 128 * h + l] = d * s.get(I8, sc + is) * (((lo0 & 0xF) | ((hi & 3) << 4)) - 32);
                            out[o + 128 * h + 32 + l] = d * s.get(I8, sc + is + 2) * (((lo1 & 0xF) | (((hi >> 2) & 3) << 4)) - 32);
                            out[o + 128 * h + 64 + l] = d * s.get(I8, sc + is + 4) * (((lo0 >> 4) | (((hi >> 4) & 3) << 4)) - 32);
                            out[o + 128 * h + 96 + l] = d * s.get(I8, sc + is + 6) * (((lo1 >> 4) | (((hi >> 6) & 3) << 4)) - 32);
                        }
                    }
                }
            }
        }
    }

    /**
     * Encodes {@code x[off .. off+n)} ({@code n} a multiple of the block size) in format {@code t}.
     * Q8_0 and Q4_0 follow GGML's reference quantizers bit for bit; the K-quants use a direct
     * min/max fit per sub-block (a valid encoding, less refined than llama.cpp's iterative search).
     */
    public static byte[] quantize(DType t, float[] x, int off, int n) {
        if (n % blockSize(t) != 0) throw new IllegalArgumentException(t + " needs a multiple of " + blockSize(t) + " elements, got " + n);
        byte[] out = new byte[(int) rowBytes(t, n)];
        MemorySegment s = MemorySegment.ofArray(out);
        switch (t) {
            case F32 -> MemorySegment.copy(x, off, s, F32, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) s.set(I16, 2L * i, Float.floatToFloat16(x[off + i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) s.set(I16, 2L * i, toBf16(x[off + i]));
            }
            case Q8_0 -> {
                for (int b = 0; b < n / QK; b++) {
                    int xo = off + b * QK;
                    float amax = 0;
                    for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
                    float d = amax / 127, id = d != 0 ? 1 / d : 0;
                    s.set(I16, 34L * b, Float.floatToFloat16(d));
                    for (int j = 0; j < QK; j++) s.set(I8, 34L * b + 2 + j, (byte) roundf(x[xo + j] * id));
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / QK; b++) {
                    int xo = off + b * QK;
                    float amax = 0, max = 0;
                    for (int j = 0; j < QK; j++) {
                        if (Math.abs(x[xo + j]) > amax) {
                            amax = Math.abs(x[xo + j]);
                            max = x[xo + j];
                        }
                    }
                    float d = max / -8, id = d != 0 ? 1 / d : 0;
                    s.set(I16, 18L * b, Float.floatToFloat16(d));
                    for (int j = 0; j < 16; j++) {
                        int q0 = Math.min(15, (int) (x[xo + j] * id + 8.5f));
                        int q1 = Math.min(15, (int) (x[xo + j + 16] * id + 8.5f));
                        s.set(I8, 18L * b + 2 + j, (byte) (q0 | (q1 << 4)));
                    }
                }
            }
            case Q4_K, Q5_K -> quantizeK45(t == DType.Q5_K, x, off, n, s);
            case Q6_K -> quantizeQ6K(x, off, n, s);
        }
        return out;
    }

    /** bfloat16 with round-to-nearest-even (NaN kept quiet). */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >> 16) | 64);
        return (short) ((bits + (0x7fff + ((bits >> 16) & 1))) >>> 16);
    }

    /** C's roundf: half away from zero. */
    static int roundf(float v) {
        return (int) (v < 0 ? -Math.floor(-v + 0.5f) : Math.floor(v + 0.5f));
    }

    private static void quantizeK45(boolean five, float[] x, int off, int n, MemorySegment s) {
        int levels = five ? 31 : 15, bytes = five ? 176 : 144;
        float[] scale = new float[8], min = new float[8];
        int[] sc = new int[8], mn = new int[8];
        for (int b = 0; b < n / QK_K; b++) {
            int xo = off + b * QK_K;
            long o = (long) bytes * b;
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float lo = 0, hi = 0; // the offset is subtracted, so a sub-block's minimum is taken ≤ 0
                for (int l = 0; l < 32; l++) {
                    lo = Math.min(lo, x[xo + 32 * j + l]);
                    hi = Math.max(hi, x[xo + 32 * j + l]);
                }
                scale[j] = (hi - lo) / levels;
                min[j] = -lo;
                maxScale = Math.max(maxScale, scale[j]);
                maxMin = Math.max(maxMin, min[j]);
            }
            short dh = Float.floatToFloat16(maxScale / 63), mh = Float.floatToFloat16(maxMin / 63);
            float d = Float.float16ToFloat(dh), dmin = Float.float16ToFloat(mh);
            for (int j = 0; j < 8; j++) {
                // Scales round up so that the sub-block's range fits in its levels.
                sc[j] = d > 0 ? Math.min(63, (int) Math.ceil(scale[j] / d)) : 0;
                mn[j] = dmin > 0 ? Math.min(63, roundf(min[j] / dmin)) : 0;
            }
            s.set(I16, o, dh);
            s.set(I16, o + 2, mh);
            for (int j = 0; j < 4; j++) {
                s.set(I8, o + 4 + j, (byte) (sc[j] | ((sc[j + 4] >> 4) << 6)));
                s.set(I8, o + 8 + j, (byte) (mn[j] | ((mn[j + 4] >> 4) << 6)));
                s.set(I8, o + 12 + j, (byte) ((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4)));
            }
            long qh = o + 16, qs = five ? o + 48 : o + 16;
            for (int g = 0; g < 4; g++) {
                int[] q = new int[64];
                for (int half = 0; half < 2; half++) {
                    int j = 2 * g + half;
                    float dj = d * sc[j], mj = dmin * mn[j];
                    for (int l = 0; l < 32; l++) {
                        q[32 * half + l] = dj > 0 ? Math.clamp(roundf((x[xo + 32 * j + l] + mj) / dj), 0, levels) : 0;
                    }
                }
                for (int l = 0; l < 32; l++) {
                    s.set(I8, qs + 32 * g + l, (byte) ((q[l] & 0xF) | ((q[32 + l] & 0xF) << 4)));
                    if (five) {
                        int h = u8(s, qh + l) | ((q[l] >> 4) << (2 * g)) | ((q[32 + l] >> 4) << (2 * g + 1));
                        s.set(I8, qh + l, (byte) h);
                    }
                }
            }
        }
    }

    private static void quantizeQ6K(float[] x, int off, int n, MemorySegment s) {
        float[] scale = new float[16];
        for (int b = 0; b < n / QK_K; b++) {
            int xo = off + b * QK_K;
            long o = 210L * b;
            float maxScale = 0;
            for (int j = 0; j < 16; j++) {
                float amax = 0;
                for (int l = 0; l < 16; l++) amax = Math.max(amax, Math.abs(x[xo + 16 * j + l]));
                scale[j] = amax / 31;
                maxScale = Math.max(maxScale, scale[j]);
            }
            short dh = Float.floatToFloat16(maxScale / 127);
            float d = Float.float16ToFloat(dh);
            int[] L = new int[QK_K];
            for (int j = 0; j < 16; j++) {
                int sc = d > 0 ? Math.min(127, (int) Math.ceil(scale[j] / d)) : 0;
                s.set(I8, o + 192 + j, (byte) sc);
                float dj = d * sc;
                for (int l = 0; l < 16; l++) {
                    int q = dj > 0 ? Math.clamp(roundf(x[xo + 16 * j + l] / dj), -32, 31) : 0;
                    L[16 * j + l] = q + 32;
                }
            }
            s.set(I16, o + 208, dh);
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l++) {
                    int e = 128 * h + l;
                    s.set(I8, o + 64 * h + l, (byte) ((L[e] & 0xF) | ((L[e + 64] & 0xF) << 4)));
                    s.set(I8, o + 64 * h + 32 + l, (byte) ((L[e + 32] & 0xF) | ((L[e + 96] & 0xF) << 4)));
                    s.set(I8, o + 128 + 32 * h + l, (byte) ((L[e] >> 4) | ((L[e + 32] >> 4) << 2) | ((L[e + 64] >> 4) << 4) | ((L[e + 96] >> 4) << 6)));
                }
            }
        }
    }
}
