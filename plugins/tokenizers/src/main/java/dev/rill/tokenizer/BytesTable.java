package dev.rill.tokenizer;

import java.util.Arrays;

/**
 * Token ids by their bytes: an open-addressing hash table that looks up a slice of a byte array
 * without copying it. The first id stored for a byte sequence is kept.
 */
final class BytesTable {

    private final byte[][] keys;
    private final int[] ids;
    private final int mask;

    BytesTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new byte[capacity][];
        ids = new int[capacity];
        mask = capacity - 1;
    }

    private static int hash(byte[] b, int from, int to) {
        int h = 0x811C9DC5;
        for (int i = from; i < to; i++) h = (h ^ b[i]) * 0x01000193;
        return h ^ h >>> 16;
    }

    /** Adds {@code bytes → id} unless the bytes are already present; returns the id stored for them. */
    int putIfAbsent(byte[] bytes, int id) {
        int i = hash(bytes, 0, bytes.length) & mask;
        while (keys[i] != null) {
            if (Arrays.equals(keys[i], bytes)) return ids[i];
            i = i + 1 & mask;
        }
        keys[i] = bytes;
        ids[i] = id;
        return id;
    }

    /** The id of {@code b[from..to)}, or -1. */
    int get(byte[] b, int from, int to) {
        int i = hash(b, from, to) & mask;
        while (keys[i] != null) {
            if (Arrays.equals(keys[i], 0, keys[i].length, b, from, to)) return ids[i];
            i = i + 1 & mask;
        }
        return -1;
    }
}
