package dev.rill.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import static dev.rill.backend.cpu.CpuKvCache.KEY_GROUP;

/**
 * The two products of one query row's attention over a span of its cache ({@link CpuKvCache}'s
 * layouts, half precision): scores against keys grouped by {@link CpuKvCache#KEY_GROUP} positions,
 * and the weighted sum of value rows. Both keep their sums in registers across positions: a score is
 * one multiply-add per channel on a vector of positions, a weighted value one per position on a
 * vector of channels.
 *
 * <p>Halves are widened in registers as they are loaded: their bits moved into a float's places
 * (sign to sign, exponent and mantissa to the top of the float's), which is the half's value times
 * 2^−112 for every finite half, subnormals included; the sums are scaled by 2^112 once at the end
 * ({@link QuantDot} widens F16 weights the same way). Infinities and NaNs would come out as large
 * finite values: the cache holds none from finite keys and values (it saturates them at ±65504), and
 * the forward pass makes the attention over one that was not finite NaN itself
 * ({@link CpuKvCache#firstNonFinite}).
 */
final class CachedAttention {

    /** At most 16 lanes, so that a key group is whole vectors. */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED.length() <= KEY_GROUP
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    private static final int L = S.length();
    /** What a widened half is multiplied by to be its value. */
    private static final float REBASE = 0x1p112f;
    /** Sign, exponent and mantissa of a half moved into a float (its sign copies in bits 28–30 cleared). */
    private static final int HALF_BITS = 0x8FFF_FFFF;

    private CachedAttention() {
    }

    /** {@code L} halves from {@code h[o]}, widened: 2^−112 times their values. */
    private static FloatVector halves(short[] h, int o) {
        return ((IntVector) ShortVector.fromArray(H, h, o).convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 13).and(HALF_BITS).reinterpretAsFloats();
    }

    /** One half, widened as {@link #halves} does. */
    private static float half(short h) {
        return Float.intBitsToFloat(h << 13 & HALF_BITS);
    }

    /**
     * {@code scores[h·stride + j] = scale · q_h · k_(p0+j)} for every query head {@code h} and
     * {@code j < groups·KEY_GROUP}: query head {@code h} at {@code q[qr + h·hs]} reads key head
     * {@code h / group}; {@code p0} is a multiple of {@link CpuKvCache#KEY_GROUP}.
     */
    static void scores(float[] q, int qr, short[] keys, int p0, int groups, int kd, int NH, int group, int hs, float scale,
                       float[] scores, int stride) {
        float s = scale * REBASE;
        for (int gi = 0; gi < groups; gi++) {
            int base = (p0 + gi * KEY_GROUP) * kd, j = gi * KEY_GROUP;
            for (int h = 0; h < NH; ) {
                int k0 = base + h / group * hs * KEY_GROUP, end = (h / group + 1) * group;
                for (; h + 4 <= end; h += 4) scores4(q, qr + h * hs, hs, keys, k0, s, scores, h * stride + j, stride);
                for (; h < end; h++) scores1(q, qr + h * hs, hs, keys, k0, s, scores, h * stride + j);
            }
        }
    }

    /**
     * Four query heads (from {@code qo}, {@code hs} apart) over one key group from {@code k0}: the
     * group's channels read once for all four, even and odd channels summed apart (eight sums in
     * flight, so that the multiply-adds do not wait on each other).
     */
    private static void scores4(float[] q, int qo, int hs, short[] keys, int k0, float scale, float[] scores, int so, int stride) {
        int q1 = qo + hs, q2 = q1 + hs, q3 = q2 + hs;
        for (int v = 0; v < KEY_GROUP; v += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            int d = 0, k = k0 + v;
            for (; d + 2 <= hs; d += 2, k += 2 * KEY_GROUP) {
                FloatVector ka = halves(keys, k), kb = halves(keys, k + KEY_GROUP);
                a0 = ka.fma(FloatVector.broadcast(S, q[qo + d]), a0);
                a1 = ka.fma(FloatVector.broadcast(S, q[q1 + d]), a1);
                a2 = ka.fma(FloatVector.broadcast(S, q[q2 + d]), a2);
                a3 = ka.fma(FloatVector.broadcast(S, q[q3 + d]), a3);
                b0 = kb.fma(FloatVector.broadcast(S, q[qo + d + 1]), b0);
                b1 = kb.fma(FloatVector.broadcast(S, q[q1 + d + 1]), b1);
                b2 = kb.fma(FloatVector.broadcast(S, q[q2 + d + 1]), b2);
                b3 = kb.fma(FloatVector.broadcast(S, q[q3 + d + 1]), b3);
            }
            if (d < hs) {
                FloatVector ka = halves(keys, k);
                a0 = ka.fma(FloatVector.broadcast(S, q[qo + d]), a0);
                a1 = ka.fma(FloatVector.broadcast(S, q[q1 + d]), a1);
                a2 = ka.fma(FloatVector.broadcast(S, q[q2 + d]), a2);
                a3 = ka.fma(FloatVector.broadcast(S, q[q3 + d]), a3);
            }
            a0.add(b0).mul(scale).intoArray(scores, so + v);
            a1.add(b1).mul(scale).intoArray(scores, so + stride + v);
            a2.add(b2).mul(scale).intoArray(scores, so + 2 * stride + v);
            a3.add(b3).mul(scale).intoArray(scores, so + 3 * stride + v);
        }
    }

    /** One query head over one key group: four sums over alternate channels, so that the multiply-adds do not wait on each other. */
    private static void scores1(float[] q, int qo, int hs, short[] keys, int k0, float scale, float[] scores, int so) {
        for (int v = 0; v < KEY_GROUP; v += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int d = 0, k = k0 + v;
            for (; d + 4 <= hs; d += 4, k += 4 * KEY_GROUP) {
                a0 = halves(keys, k).fma(FloatVector.broadcast(S, q[qo + d]), a0);
                a1 = halves(keys, k + KEY_GROUP).fma(FloatVector.broadcast(S, q[qo + d + 1]), a1);
                a2 = halves(keys, k + 2 * KEY_GROUP).fma(FloatVector.broadcast(S, q[qo + d + 2]), a2);
                a3 = halves(keys, k + 3 * KEY_GROUP).fma(FloatVector.broadcast(S, q[qo + d + 3]), a3);
            }
            for (; d < hs; d++, k += KEY_GROUP) a0 = halves(keys, k).fma(FloatVector.broadcast(S, q[qo + d]), a0);
            a0.add(a1).add(a2.add(a3)).mul(scale).intoArray(scores, so + v);
        }
    }

    /**
     * {@code out[o + h·hs + i] = Σ_(j<len) w[h·stride + w0 + j] · v_(p0+j)[h/group·hs + i]} for every query
     * head {@code h}: value rows {@code kd} apart from position {@code p0}. Two heads of a key/value
     * head at a time share each row's loads; a lone head sums even and odd positions apart.
     */
    static void values(float[] w, int stride, int w0, short[] values, int p0, int len, int kd, int NH, int group, int hs, float[] out, int o) {
        for (int g = 0; g < NH / group; g++) {
            int v0 = p0 * kd + g * hs, h = g * group, end = h + group;
            for (; h + 2 <= end; h += 2) values2(w, h * stride + w0, stride, values, v0, len, kd, hs, out, o + h * hs);
            if (h < end) values1(w, h * stride + w0, values, v0, len, kd, hs, out, o + h * hs);
        }
    }

    /** Heads {@code h} and {@code h+1} (weights from {@code wo} and {@code wo + stride}, outputs {@code hs} apart) over the same value rows. */
    private static void values2(float[] w, int wo, int stride, short[] values, int v0, int len, int kd, int hs, float[] out, int oo) {
        int wb = wo + stride, ob = oo + hs, i = 0;
        for (; i + 4 * L <= hs; i += 4 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int j = 0, r = v0 + i; j < len; j++, r += kd) {
                FloatVector x0 = halves(values, r), x1 = halves(values, r + L), x2 = halves(values, r + 2 * L), x3 = halves(values, r + 3 * L);
                FloatVector wa = FloatVector.broadcast(S, w[wo + j]), wbj = FloatVector.broadcast(S, w[wb + j]);
                a0 = wa.fma(x0, a0);
                a1 = wa.fma(x1, a1);
                a2 = wa.fma(x2, a2);
                a3 = wa.fma(x3, a3);
                b0 = wbj.fma(x0, b0);
                b1 = wbj.fma(x1, b1);
                b2 = wbj.fma(x2, b2);
                b3 = wbj.fma(x3, b3);
            }
            a0.mul(REBASE).intoArray(out, oo + i);
            a1.mul(REBASE).intoArray(out, oo + i + L);
            a2.mul(REBASE).intoArray(out, oo + i + 2 * L);
            a3.mul(REBASE).intoArray(out, oo + i + 3 * L);
            b0.mul(REBASE).intoArray(out, ob + i);
            b1.mul(REBASE).intoArray(out, ob + i + L);
            b2.mul(REBASE).intoArray(out, ob + i + 2 * L);
            b3.mul(REBASE).intoArray(out, ob + i + 3 * L);
        }
        for (; i + L <= hs; i += L) {
            FloatVector a = FloatVector.zero(S), b = a;
            for (int j = 0, r = v0 + i; j < len; j++, r += kd) {
                FloatVector x = halves(values, r);
                a = FloatVector.broadcast(S, w[wo + j]).fma(x, a);
                b = FloatVector.broadcast(S, w[wb + j]).fma(x, b);
            }
            a.mul(REBASE).intoArray(out, oo + i);
            b.mul(REBASE).intoArray(out, ob + i);
        }
        for (; i < hs; i++) {
            float a = 0, b = 0;
            for (int j = 0, r = v0 + i; j < len; j++, r += kd) {
                a = Math.fma(w[wo + j], half(values[r]), a);
                b = Math.fma(w[wb + j], half(values[r]), b);
            }
            out[oo + i] = a * REBASE;
            out[ob + i] = b * REBASE;
        }
    }

    /** One head: positions in pairs, even and odd summed apart. */
    private static void values1(float[] w, int wo, short[] values, int v0, int len, int kd, int hs, float[] out, int oo) {
        int i = 0;
        for (; i + 4 * L <= hs; i += 4 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            int j = 0, r = v0 + i;
            for (; j + 2 <= len; j += 2, r += 2 * kd) {
                FloatVector wa = FloatVector.broadcast(S, w[wo + j]), wbj = FloatVector.broadcast(S, w[wo + j + 1]);
                a0 = wa.fma(halves(values, r), a0);
                a1 = wa.fma(halves(values, r + L), a1);
                a2 = wa.fma(halves(values, r + 2 * L), a2);
                a3 = wa.fma(halves(values, r + 3 * L), a3);
                b0 = wbj.fma(halves(values, r + kd), b0);
                b1 = wbj.fma(halves(values, r + kd + L), b1);
                b2 = wbj.fma(halves(values, r + kd + 2 * L), b2);
                b3 = wbj.fma(halves(values, r + kd + 3 * L), b3);
            }
            if (j < len) {
                FloatVector wa = FloatVector.broadcast(S, w[wo + j]);
                a0 = wa.fma(halves(values, r), a0);
                a1 = wa.fma(halves(values, r + L), a1);
                a2 = wa.fma(halves(values, r + 2 * L), a2);
                a3 = wa.fma(halves(values, r + 3 * L), a3);
            }
            a0.add(b0).mul(REBASE).intoArray(out, oo + i);
            a1.add(b1).mul(REBASE).intoArray(out, oo + i + L);
            a2.add(b2).mul(REBASE).intoArray(out, oo + i + 2 * L);
            a3.add(b3).mul(REBASE).intoArray(out, oo + i + 3 * L);
        }
        for (; i + L <= hs; i += L) {
            FloatVector a = FloatVector.zero(S);
            for (int j = 0, r = v0 + i; j < len; j++, r += kd) a = FloatVector.broadcast(S, w[wo + j]).fma(halves(values, r), a);
            a.mul(REBASE).intoArray(out, oo + i);
        }
        for (; i < hs; i++) {
            float a = 0;
            for (int j = 0, r = v0 + i; j < len; j++, r += kd) a = Math.fma(w[wo + j], half(values[r]), a);
            out[oo + i] = a * REBASE;
        }
    }
}
