package dev.rill.backend.cpu;

import dev.rill.spi.KvCache;

/**
 * Keys and values per layer, {@code (positions, kvDim)} each, on the heap, grown as positions are
 * filled: a sequence takes memory for what it has run, not for the model's whole context (a 1B
 * model's 8,192 positions are 512 MiB of float keys and values; allocating them per request cost
 * seconds of collector pauses and starved concurrent streams).
 */
final class CpuKvCache implements KvCache {

    /** Positions a new cache holds before it first grows; it then doubles, up to its capacity. */
    static final int INITIAL = 256;

    /** Per layer, {@code allocated × kvDim} values: replaced by larger copies as the cache grows. */
    float[][] keys, values;
    final int capacity, kvDim;
    int length;
    private int allocated;

    CpuKvCache(int nLayer, int capacity, int kvDim) {
        if (capacity <= 0) throw new IllegalArgumentException("cache capacity must be > 0");
        Math.multiplyExact(capacity, kvDim); // one layer's keys at full capacity must fit an array
        this.capacity = capacity;
        this.kvDim = kvDim;
        keys = new float[nLayer][0];
        values = new float[nLayer][0];
        reserve(Math.min(capacity, INITIAL));
    }

    /**
     * Makes room for positions {@code [0, positions)}: each layer's arrays are replaced by copies of
     * twice the size (at least {@code positions}, at most the capacity). Every new array is allocated
     * before any is swapped in, so an {@link OutOfMemoryError} leaves the cache as it was.
     *
     * @throws IllegalArgumentException when {@code positions} exceeds the capacity
     */
    @Override
    public void reserve(int positions) {
        KvCache.super.reserve(positions); // the capacity check
        if (positions <= allocated) return;
        int n = (int) Math.min(capacity, Math.max(positions, 2L * allocated));
        int L = keys.length, filled = length * kvDim;
        float[][] k = new float[L][], v = new float[L][];
        for (int l = 0; l < L; l++) {
            k[l] = new float[n * kvDim];
            v[l] = new float[n * kvDim];
        }
        for (int l = 0; l < L; l++) {
            System.arraycopy(keys[l], 0, k[l], 0, filled);
            System.arraycopy(values[l], 0, v[l], 0, filled);
        }
        keys = k;
        values = v;
        allocated = n;
    }

    /** Positions the arrays hold now (at most the capacity). */
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
