package dev.rill.backend.cpu;

import dev.rill.spi.KvCache;

/**
 * Keys and values per layer on the heap, in half precision (F16, as llama.cpp caches them: half the
 * memory of floats per sequence, and half the bytes a decode step reads deep in a context), grown as
 * positions are filled: a sequence takes memory for what it has run, not for the model's whole
 * context (a 1B model's 8,192 positions are 256 MiB of keys and values; allocating them per request
 * cost seconds of collector pauses and starved concurrent streams).
 *
 * <p>Values are rows, {@code (positions, kvDim)}. Keys are in groups of {@link #KEY_GROUP}
 * positions, channel-major within a group: channel {@code c} of position {@code p} is at
 * {@link #keyIndex}. A query's scores over a group are then {@code kvDim/nKvHead} multiply-adds of
 * a vector of 16 positions' key channel by one query value, with no sums across lanes (a dot product
 * per position and head took ~40 % of a 1B model's decode step at 2,048 cached positions). A group
 * takes the same {@code KEY_GROUP · kvDim} entries as its rows would, so arrays hold whole groups.
 */
final class CpuKvCache implements KvCache {

    /** Positions a new cache holds before it first grows; it then doubles, up to its capacity. */
    static final int INITIAL = 256;
    /** Positions per group of the key layout. */
    static final int KEY_GROUP = 16;

    /** Per layer, {@code allocated × kvDim} F16 bits: replaced by larger copies as the cache grows. */
    short[][] keys, values;
    /**
     * Per layer, the first position whose key or value was not finite (NaN or infinite), else
     * {@link Integer#MAX_VALUE}. Halves have no NaN the kernels can read (they widen a non-finite half
     * to a large finite number), so the forward pass makes the attention that reads such a position
     * NaN itself ({@link #attendsNonFinite}), as floats would.
     */
    final int[] firstNonFinite;
    final int capacity, kvDim;
    int length;
    private int allocated;

    CpuKvCache(int nLayer, int capacity, int kvDim) {
        if (capacity <= 0) throw new IllegalArgumentException("cache capacity must be > 0");
        Math.multiplyExact(whole(capacity), kvDim); // one layer's keys at full capacity must fit an array
        this.capacity = capacity;
        this.kvDim = kvDim;
        keys = new short[nLayer][0];
        values = new short[nLayer][0];
        firstNonFinite = new int[nLayer];
        java.util.Arrays.fill(firstNonFinite, Integer.MAX_VALUE);
        reserve(Math.min(capacity, INITIAL));
    }

    /** Where channel {@code c} of position {@code p}'s key is in a layer's keys. */
    int keyIndex(int p, int c) {
        return (p & -KEY_GROUP) * kvDim + c * KEY_GROUP + (p & KEY_GROUP - 1);
    }

    /**
     * Stores position {@code p}'s key and value of {@code layer} from {@code k[ko..]} and {@code v[vo..]},
     * rounded to halves; beyond the largest half (±65,504) they saturate to it.
     */
    void put(int layer, int p, float[] k, int ko, float[] v, int vo) {
        short[] hk = keys[layer], hv = values[layer];
        boolean finite = true;
        for (int c = 0, i = keyIndex(p, 0); c < kvDim; c++, i += KEY_GROUP) {
            float x = k[ko + c];
            finite &= Float.isFinite(x);
            hk[i] = Float.floatToFloat16(Math.clamp(x, -MAX_HALF, MAX_HALF));
        }
        for (int c = 0, o = p * kvDim; c < kvDim; c++) {
            float x = v[vo + c];
            finite &= Float.isFinite(x);
            hv[o + c] = Float.floatToFloat16(Math.clamp(x, -MAX_HALF, MAX_HALF));
        }
        if (!finite) firstNonFinite[layer] = Math.min(firstNonFinite[layer], p);
    }

    /** The largest finite half. */
    private static final float MAX_HALF = 65504f;

    /**
     * Whether {@code layer}'s positions up to {@code pos} hold a key or value that was not finite (a
     * query there attends to it; with a sliding window it may have left the window, and still counts).
     */
    boolean attendsNonFinite(int layer, int pos) {
        return firstNonFinite[layer] <= pos;
    }

    /** {@code kT[i·n + t]} = channel {@code c0 + i} of position {@code t}'s key, for {@code i < hs}, {@code t < n}. */
    void transposedKeys(int layer, int c0, int hs, int n, float[] kT) {
        short[] hk = keys[layer];
        for (int p = 0; p < n; p += KEY_GROUP) {
            int len = Math.min(KEY_GROUP, n - p);
            for (int i = 0, k = keyIndex(p, c0); i < hs; i++, k += KEY_GROUP) toFloats(hk, k, kT, i * n + p, len);
        }
    }

    /** {@code layer}'s values of positions {@code [0, n)} as float rows in {@code out}. */
    void valueRows(int layer, int n, float[] out) {
        toFloats(values[layer], 0, out, 0, n * kvDim);
    }

    private static void toFloats(short[] h, int from, float[] out, int to, int n) {
        for (int i = 0; i < n; i++) out[to + i] = Float.float16ToFloat(h[from + i]);   // vectorized by C2 (vcvtph2ps)
    }

    /** {@code positions} rounded up to whole key groups. */
    private static int whole(int positions) {
        return (positions + KEY_GROUP - 1) & -KEY_GROUP;
    }

    /**
     * Makes room for positions {@code [0, positions)}: each layer's arrays are replaced by copies of
     * twice the size (at least {@code positions}, at most the capacity, in whole key groups). Every
     * new array is allocated before any is swapped in, so an {@link OutOfMemoryError} leaves the
     * cache as it was.
     *
     * @throws IllegalArgumentException when {@code positions} exceeds the capacity
     */
    @Override
    public void reserve(int positions) {
        KvCache.super.reserve(positions); // the capacity check
        if (positions <= allocated) return;
        int n = whole((int) Math.min(capacity, Math.max(positions, 2L * allocated)));
        short[][] k = new short[keys.length][], v = new short[keys.length][];
        for (int l = 0; l < keys.length; l++) {
            k[l] = new short[n * kvDim];
            v[l] = new short[n * kvDim];
        }
        copyInto(k, v);
        keys = k;
        values = v;
        allocated = n;
    }

    /** Copies the filled positions, and where they hold non-finite keys or values, into {@code to} (as large or larger). */
    void copyInto(CpuKvCache to) {
        copyInto(to.keys, to.values);
        System.arraycopy(firstNonFinite, 0, to.firstNonFinite, 0, firstNonFinite.length);
    }

    /** Copies the filled positions (the keys' last group whole) into per-layer arrays that hold at least as many. */
    private void copyInto(short[][] k, short[][] v) {
        for (int l = 0; l < keys.length; l++) {
            System.arraycopy(keys[l], 0, k[l], 0, whole(length) * kvDim);
            System.arraycopy(values[l], 0, v[l], 0, length * kvDim);
        }
    }

    /** Positions the arrays hold now (at least the capacity's whole key groups when full). */
    int allocated() {
        return allocated;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public void truncate(int length) {
        if (length < 0 || length > this.length) throw new IllegalArgumentException("cannot truncate a cache of " + this.length + " to " + length);
        this.length = length;
        for (int l = 0; l < firstNonFinite.length; l++) if (firstNonFinite[l] >= length) firstNonFinite[l] = Integer.MAX_VALUE;
    }
}
