package dev.rill.backend.cpu;

import dev.rill.spi.KvCache;

/** Keys and values per layer, {@code (capacity, kvDim)} each, on the heap. */
final class CpuKvCache implements KvCache {

    final float[][] keys, values;
    final int capacity, kvDim;
    int length;

    CpuKvCache(int nLayer, int capacity, int kvDim) {
        this.capacity = capacity;
        this.kvDim = kvDim;
        keys = new float[nLayer][Math.multiplyExact(capacity, kvDim)];
        values = new float[nLayer][Math.multiplyExact(capacity, kvDim)];
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
