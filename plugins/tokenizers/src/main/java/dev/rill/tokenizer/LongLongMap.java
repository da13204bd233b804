package dev.rill.tokenizer;

/**
 * An open-addressing hash map from {@code long} to {@code long} without boxing: the merge table
 * ((left id, right id) → rank and result) is read once per candidate pair while encoding. Keys and
 * values sit side by side in one array, so a lookup in a large table touches one cache line.
 * Keys must not be {@link #EMPTY}.
 */
final class LongLongMap {

    static final long EMPTY = Long.MIN_VALUE;
    /** What {@link #get} returns for a missing key. */
    static final long MISSING = Long.MIN_VALUE;

    private long[] slots; // key at 2i, value at 2i + 1
    private int size;
    private int mask;

    LongLongMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        slots = newSlots(capacity);
        mask = capacity - 1;
    }

    private static long[] newSlots(int capacity) {
        long[] s = new long[capacity * 2];
        for (int i = 0; i < s.length; i += 2) s[i] = EMPTY;
        return s;
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
            long k = slots[2 * i];
            if (k == key) return slots[2 * i + 1];
            if (k == EMPTY) return MISSING;
            i = i + 1 & mask;
        }
    }

    /** Stores {@code value} under {@code key}, replacing an earlier value. */
    void put(long key, long value) {
        if (key == EMPTY) throw new IllegalArgumentException("reserved key");
        int i = slot(key, mask);
        while (true) {
            long k = slots[2 * i];
            if (k == key) {
                slots[2 * i + 1] = value;
                return;
            }
            if (k == EMPTY) {
                slots[2 * i] = key;
                slots[2 * i + 1] = value;
                if (++size * 2 > mask + 1) grow();
                return;
            }
            i = i + 1 & mask;
        }
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] old = slots;
        int capacity = (mask + 1) * 2;
        slots = newSlots(capacity);
        mask = capacity - 1;
        for (int j = 0; j < old.length; j += 2) {
            if (old[j] == EMPTY) continue;
            int i = slot(old[j], mask);
            while (slots[2 * i] != EMPTY) i = i + 1 & mask;
            slots[2 * i] = old[j];
            slots[2 * i + 1] = old[j + 1];
        }
    }
}
