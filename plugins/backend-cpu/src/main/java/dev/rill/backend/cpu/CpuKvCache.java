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
        reserve(Math.min(capacity, INITIAL));
    }

    /** Where channel {@code c} of position {@code p}'s key is in a layer's keys. */
    int keyIndex(int p, int c) {
        return (p & -KEY_GROUP) * kvDim + c * KEY_GROUP + (p & KEY_GROUP - 1);
    }

    /** Stores position {@code p}'s key and value of {@code layer} from {@code k[ko..]} and {@code v[vo..]}, rounded to halves. */
    void put(int layer, int p, float[] k, int ko, float[] v, int vo) {
        short[] hk = keys[layer], hv = values[layer];
        for (int c = 0, i = keyIndex(p, 0); c < kvDim; c++, i += KEY_GROUP) hk[i] = Float.floatToFloat16(k[ko + c]);
        for (int c = 0, o = p * kvDim; c < kvDim; c++) hv[o + c] = Float.floatToFloat16(v[vo + c]);
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

    /** Copies the filled positions (the keys' last group whole) into per-layer arrays that hold at least as many. */
    void copyInto(short[][] k, short[][] v) {
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
    }
}
