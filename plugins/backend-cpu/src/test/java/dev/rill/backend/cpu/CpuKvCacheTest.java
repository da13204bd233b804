package dev.rill.backend.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Growth of the cpu backend's KV cache where memory runs out (the logits across growth:
 * CpuForwardPassTest). Runs alone in a small heap (the backend pom's {@code small-heap} execution).
 */
class CpuKvCacheTest {

    /**
     * A growth that cannot be had throws OutOfMemoryError and leaves the cache as it was: same
     * arrays, same contents, still usable. The growth asks for six arrays of a fifth of the heap
     * each, so the first fit and the failure comes part-way through.
     */
    @Test
    void growthThatRunsOutOfMemoryLeavesTheCacheAsItWas() {
        int kvDim = 1 << 10, layers = 3, capacity = (Integer.MAX_VALUE - 64) / kvDim & -CpuKvCache.KEY_GROUP;
        int positions = (int) Math.min(capacity, Runtime.getRuntime().maxMemory() / 5 / Short.BYTES / kvDim);
        CpuKvCache c = new CpuKvCache(layers, capacity, kvDim);
        assertEquals(CpuKvCache.INITIAL, c.allocated());
        short[] keys0 = c.keys[0], values2 = c.values[2];
        keys0[3] = 15;
        values2[values2.length - 1] = -2;
        c.length = 10;
        assertThrows(OutOfMemoryError.class, () -> c.reserve(positions));
        assertEquals(CpuKvCache.INITIAL, c.allocated());
        for (int l = 0; l < layers; l++) assertEquals(CpuKvCache.INITIAL * kvDim, c.keys[l].length);
        assertSame(keys0, c.keys[0]);
        assertSame(values2, c.values[2]);
        assertEquals(15, c.keys[0][3]);
        assertEquals(-2, c.values[2][values2.length - 1]);
        assertEquals(10, c.length());
        c.reserve(CpuKvCache.INITIAL);   // within what it holds: nothing to allocate
        assertSame(keys0, c.keys[0]);
    }
}
