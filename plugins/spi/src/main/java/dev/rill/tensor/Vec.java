package dev.rill.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector-API loops over float arrays: dot products, axpy, scaling, sums. */
public final class Vec {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    private Vec() {
    }

    /** {@code Σ a[ao+i]·b[bo+i]} for {@code i < n}. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float sum;
        if (n >= 2 * L) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            for (; i + 2 * L <= n; i += 2 * L) {
                acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
                acc1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), acc1);
            }
            for (; i + L <= n; i += L) acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
            sum = VMath.sum(acc0.add(acc1));
        } else {
            sum = 0f;
        }
        for (; i < n; i++) sum = Math.fma(a[ao + i], b[bo + i], sum);
        return sum;
    }

    /** {@code y[yo+i] += alpha·x[xo+i]} for {@code i < n}. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i + L <= n; i += L) {
            va.fma(FloatVector.fromArray(S, x, xo + i), FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] = Math.fma(alpha, x[xo + i], y[yo + i]);
    }

    /** {@code y[yo+i] += x[xo+i]}. */
    public static void add(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(S, x, xo + i).add(FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += x[xo + i];
    }

    /** {@code out[oo+i] = a[ao+i] + b[bo+i]}. */
    public static void sum(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) out[oo + i] = a[ao + i] + b[bo + i];
    }

    /** {@code y[yo+i] *= x[xo+i]}. */
    public static void mul(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(S, x, xo + i).mul(FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] *= x[xo + i];
    }

    /** {@code x[xo+i] *= alpha}. */
    public static void scale(float alpha, float[] x, int xo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xo + i).mul(va).intoArray(x, xo + i);
        for (; i < n; i++) x[xo + i] *= alpha;
    }

    /** {@code Σ x[xo+i]}. */
    public static float sum(float[] x, int xo, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + L <= n; i += L) acc = acc.add(FloatVector.fromArray(S, x, xo + i));
        float s = VMath.sum(acc);
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    /** {@code Σ x[xo+i]²} in double precision (for norms that must not overflow). */
    public static double sumSquares(float[] x, int xo, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        double s = 0;
        // Accumulate blocks in float, fold into double every 1024 elements to keep precision.
        while (i + L <= n) {
            int end = Math.min(n - L + 1, i + 1024);
            for (; i < end; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                acc = v.fma(v, acc);
            }
            s += VMath.sum(acc);
            acc = FloatVector.zero(S);
        }
        for (; i < n; i++) s += (double) x[xo + i] * x[xo + i];
        return s;
    }

    /** Largest element of {@code x[xo .. xo+n)}. */
    public static float max(float[] x, int xo, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i + L <= n; i += L) acc = acc.max(FloatVector.fromArray(S, x, xo + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    /**
     * In place: {@code x = exp(scale·x − shift)} over {@code n} entries; returns their sum. A softmax
     * over scaled scores in one pass instead of a scaling pass first ({@code scale·x − shift} is one
     * fused multiply-add).
     */
    public static float expScaled(float[] x, int xo, int n, float scale, float shift) {
        int i = 0;
        FloatVector vs = FloatVector.broadcast(S, scale), vm = FloatVector.broadcast(S, -shift);
        FloatVector acc = FloatVector.zero(S);
        for (; i + L <= n; i += L) {
            FloatVector e = VMath.exp(FloatVector.fromArray(S, x, xo + i).fma(vs, vm));
            e.intoArray(x, xo + i);
            acc = acc.add(e);
        }
        float s = VMath.sum(acc);
        for (; i < n; i++) {
            float e = VMath.exp(Math.fma(x[xo + i], scale, -shift));
            x[xo + i] = e;
            s += e;
        }
        return s;
    }

    /**
     * In place: {@code x = exp(x - max)} over {@code n} entries; returns their sum. Used by softmax
     * (attention rows, cross-entropy). {@link #expScaled} with scale 1: {@code fma(x, 1, −max)} is
     * {@code x − max} exactly.
     */
    public static float expShift(float[] x, int xo, int n, float max) {
        return expScaled(x, xo, n, 1f, max);
    }
}
