package dev.rill.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop splitter: every index exactly once, failures reach the caller, parked helpers wake for
 * the next loop, helpers spin through a burst and park after it, and each pool is its own (loops
 * outside any pool run on the caller).
 */
class ParallelTest {

    private final Parallel pool = new Parallel(2);

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void everyIndexRunsExactlyOnceOverManyLoops() {
        pool.run(() -> {
            for (int loop = 0; loop < 2_000; loop++) {
                int n = 1 + loop % 97;
                AtomicIntegerArray seen = new AtomicIntegerArray(n);
                Parallel.forRange(n, 1 + loop % 5, (from, to) -> {
                    for (int i = from; i < to; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "loop " + loop + " index " + i);
            }
        });
    }

    @Test
    void aFailureInAChunkReachesTheCallerAndTheNextLoopStillRuns() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(() -> Parallel.forRange(64, 1, (from, to) -> {
            if (from <= 40 && 40 < to) throw new IllegalStateException("chunk with 40");
        })));
        assertEquals("chunk with 40", e.getMessage());
        AtomicIntegerArray seen = new AtomicIntegerArray(64);
        pool.run(() -> Parallel.forEach(64, seen::incrementAndGet));
        for (int i = 0; i < 64; i++) assertEquals(1, seen.get(i));
    }

    @Test
    void aParkedHelperWakesForTheNextLoop() throws InterruptedException {
        pool.run(() -> Parallel.forEach(8, i -> { }));
        Thread.sleep(50); // far past the spin: the helper is parked now
        Set<String> threads = ConcurrentHashMap.newKeySet();
        pool.run(() -> Parallel.forEach(8, i -> {
            threads.add(Thread.currentThread().getName());
            sleep(5);
        }));
        assertTrue(threads.stream().anyMatch(t -> t.startsWith("rill-compute-")), "chunks ran on " + threads);
    }

    @Test
    void helpersSpinThroughABurstAndParkAfterIt() throws InterruptedException {
        Thread caller = Thread.currentThread();
        Set<Thread> helpers = ConcurrentHashMap.newKeySet();
        Thread.State[] inSerialPart = new Thread.State[1];
        pool.burst(() -> {
            assertEquals(2, Parallel.threads());
            Parallel.forEach(8, i -> {
                if (Thread.currentThread() != caller) helpers.add(Thread.currentThread());
                sleep(5);
            });
            sleep(20); // a serial part far longer than the spin: outside a burst the helper would park
            inSerialPart[0] = helpers.iterator().next().getState();
        });
        assertEquals(1, helpers.size(), "the helper ran chunks");
        assertEquals(Thread.State.RUNNABLE, inSerialPart[0], "a helper waits for the next loop of a burst spinning, not parked");
        Thread helper = helpers.iterator().next();
        for (int i = 0; i < 200 && helper.getState() != Thread.State.WAITING; i++) Thread.sleep(10);
        assertEquals(Thread.State.WAITING, helper.getState(), "after the burst the helper parks");
    }

    /** {@link Parallel#inBurst} (a training step) bursts the pool its caller runs in; outside any pool it runs on the caller. */
    @Test
    void inBurstBurstsTheCurrentPool() {
        Thread caller = Thread.currentThread();
        Set<Thread> helpers = ConcurrentHashMap.newKeySet();
        Thread.State[] inSerialPart = new Thread.State[1];
        pool.run(() -> Parallel.inBurst(() -> {
            Parallel.forEach(8, i -> {
                if (Thread.currentThread() != caller) helpers.add(Thread.currentThread());
                sleep(5);
            });
            sleep(20);
            inSerialPart[0] = helpers.iterator().next().getState();
        }));
        assertEquals(Thread.State.RUNNABLE, inSerialPart[0], "the helper spins through the step's serial part");
        int[] outside = new int[1];
        Parallel.inBurst(() -> outside[0] = Parallel.threads());
        assertEquals(1, outside[0]);
    }

    @Test
    void eachPoolKeepsItsOwnSizeAndLoopsOutsideAnyPoolRunOnTheCaller() throws InterruptedException {
        assertEquals(1, Parallel.threads());
        Set<String> outside = ConcurrentHashMap.newKeySet();
        Parallel.forEach(8, i -> {
            outside.add(Thread.currentThread().getName());
            sleep(2);
        });
        assertEquals(Set.of(Thread.currentThread().getName()), outside);

        // Two owners at once, on two threads: neither sees the other's size, chunks stay in their own pool.
        try (Parallel single = new Parallel(1)) {
            int[] seenSizes = new int[2];
            Set<String> singleThreads = ConcurrentHashMap.newKeySet();
            Thread other = Thread.ofPlatform().start(() -> single.run(() -> {
                seenSizes[1] = Parallel.threads();
                Parallel.forEach(16, i -> singleThreads.add(Thread.currentThread().getName()));
            }));
            pool.run(() -> {
                seenSizes[0] = Parallel.threads();
                // Code running in a chunk, on a helper too, sees its caller's pool.
                Parallel.forEach(4, i -> assertEquals(2, Parallel.threads()));
            });
            other.join();
            assertEquals(2, seenSizes[0]);
            assertEquals(1, seenSizes[1]);
            assertEquals(1, singleThreads.size(), "a one-thread pool runs on its caller alone: " + singleThreads);
        }
        assertEquals(2, pool.call(Parallel::threads));
        assertThrows(IllegalArgumentException.class, () -> new Parallel(0));
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
