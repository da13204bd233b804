package dev.rill.tokenizer;

import java.util.Arrays;

/**
 * An open-addressing hash map from {@code long} to {@code long} without boxing: the merge table
 * ((left id, right id) → rank and result) is read once per candidate pair while encoding.
 * Keys must not be {@link #EMPTY}.
 */
final class LongLongMap {

    static final long EMPTY = Long.MIN_VALUE;
    /** What {@link #get} returns for a missing key. */
    static final long MISSING = Long.MIN_VALUE;

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    LongLongMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
    }

    /** Packs an ordered pair of token ids into one key. */
    static long pair(int left, int right) {
        return (long) left << 32 | (right & 0xFFFFFFFFL);
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ h >>> 29) & mask;
    }

    long get(long key) {
        int i = slot(key, mask);
        while (true) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == EMPTY) return MISSING;
            i = i + 1 & mask;
        }
    }

    /** Stores {@code value} under {@code key}, replacing an earlier value. */
    void put(long key, long value) {
        if (key == EMPTY) throw new IllegalArgumentException("reserved key");
        int i = slot(key, mask);
        while (true) {
            long k = keys[i];
            if (k == key) {
                values[i] = value;
                return;
            }
            if (k == EMPTY) {
                keys[i] = key;
                values[i] = value;
                if (++size * 2 > keys.length) grow();
                return;
            }
            i = i + 1 & mask;
        }
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] == EMPTY) continue;
            int i = slot(oldKeys[j], mask);
            while (keys[i] != EMPTY) i = i + 1 & mask;
            keys[i] = oldKeys[j];
            values[i] = oldValues[j];
        }
    }
}
