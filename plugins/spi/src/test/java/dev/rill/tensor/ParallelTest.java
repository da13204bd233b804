package dev.rill.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop splitter: every index exactly once, failures reach the caller, parked helpers wake for the next loop. */
class ParallelTest {

    private final int before = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(before);
    }

    @Test
    void everyIndexRunsExactlyOnceOverManyLoops() {
        Parallel.setThreads(2);
        for (int loop = 0; loop < 2_000; loop++) {
            int n = 1 + loop % 97;
            AtomicIntegerArray seen = new AtomicIntegerArray(n);
            Parallel.forRange(n, 1 + loop % 5, (from, to) -> {
                for (int i = from; i < to; i++) seen.incrementAndGet(i);
            });
            for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "loop " + loop + " index " + i);
        }
    }

    @Test
    void aFailureInAChunkReachesTheCallerAndTheNextLoopStillRuns() {
        Parallel.setThreads(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(64, 1, (from, to) -> {
            if (from <= 40 && 40 < to) throw new IllegalStateException("chunk with 40");
        }));
        assertEquals("chunk with 40", e.getMessage());
        AtomicIntegerArray seen = new AtomicIntegerArray(64);
        Parallel.forEach(64, seen::incrementAndGet);
        for (int i = 0; i < 64; i++) assertEquals(1, seen.get(i));
    }

    @Test
    void aParkedHelperWakesForTheNextLoop() throws InterruptedException {
        Parallel.setThreads(2);
        Parallel.forEach(8, i -> { });
        Thread.sleep(50); // far past the spin: the helper is parked now
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Parallel.forEach(8, i -> {
            threads.add(Thread.currentThread().getName());
            try {
                Thread.sleep(5);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(threads.stream().anyMatch(t -> t.startsWith("rill-compute-")), "chunks ran on " + threads);
    }
}
