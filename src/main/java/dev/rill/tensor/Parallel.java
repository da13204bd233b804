package dev.rill.tensor;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Splits loops across all cores: the calling thread and {@code threads − 1} helper threads take
 * chunks from a shared counter. The caller never waits for a helper to wake up — if none has
 * started yet it runs the chunks itself — so the many small loops of a decode step (one token,
 * one matrix–vector product after another) cost no more than running them alone. A dedicated pool
 * (not the common pool) so that kernels never compete with unrelated tasks; sized with
 * {@code -Drill.threads=N}.
 */
public final class Parallel {

    private static volatile int THREADS = Integer.getInteger("rill.threads", Runtime.getRuntime().availableProcessors());
    private static volatile ExecutorService HELPERS = helpers(THREADS);
    /** Set while a thread runs a chunk: loops nested in a chunk run inline (the outer loop keeps every core busy). */
    private static final ThreadLocal<boolean[]> IN_CHUNK = ThreadLocal.withInitial(() -> new boolean[1]);

    private Parallel() {
    }

    private static ExecutorService helpers(int threads) {
        if (threads <= 1) return null;
        AtomicInteger index = new AtomicInteger();
        return Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "rill-compute-" + index.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    public static int threads() {
        return THREADS;
    }

    /**
     * Changes the number of compute threads for the whole process (benchmarks compare thread
     * counts in one run). Not to be called while kernels run.
     */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (threads == THREADS) return;
        ExecutorService old = HELPERS;
        HELPERS = helpers(threads);
        THREADS = threads;
        if (old != null) old.shutdown();
    }

    /** A range body: runs indices {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** Runs {@code body} for every index in {@code [0, n)}, spread over the cores, one index per task. */
    public static void forEach(int n, IntConsumer body) {
        forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) body.accept(i);
        });
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of at least {@code grain} indices,
     * about four chunks per core so that uneven chunks balance out. Each chunk is a fixed range,
     * whichever thread runs it, so results do not depend on scheduling.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        ExecutorService helpers = HELPERS;
        int threads = THREADS;
        boolean[] inChunk = IN_CHUNK.get();
        int step = Math.max(Math.max(1, grain), ceilDiv(n, threads * 4));
        int chunks = ceilDiv(n, step);
        if (helpers == null || chunks <= 1 || inChunk[0]) {
            body.run(0, n);
            return;
        }
        Job job = new Job(body, n, step, chunks);
        int wanted = Math.min(threads - 1, chunks - 1);
        for (int i = 0; i < wanted; i++) helpers.execute(job);
        job.run();
        job.awaitAll();
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** One loop: chunks handed out by a counter, counted when finished; the first failure is rethrown to the caller. */
    private static final class Job implements Runnable {
        private final RangeBody body;
        private final int n, step, chunks;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger finished = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(RangeBody body, int n, int step, int chunks) {
            this.body = body;
            this.n = n;
            this.step = step;
            this.chunks = chunks;
        }

        @Override
        public void run() {
            boolean[] inChunk = IN_CHUNK.get();
            inChunk[0] = true;
            try {
                for (int c; (c = next.getAndIncrement()) < chunks; ) {
                    try {
                        if (failure.get() == null) body.run(c * step, Math.min(n, (c + 1) * step));
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        finished.incrementAndGet();
                    }
                }
            } finally {
                inChunk[0] = false;
            }
        }

        /** Waits for chunks other threads are still running (they are short: spin, then yield). */
        void awaitAll() {
            for (int spins = 0; finished.get() < chunks; spins++) {
                if (spins < 10_000) Thread.onSpinWait();
                else Thread.yield();
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new RuntimeException(t);
        }
    }
}
