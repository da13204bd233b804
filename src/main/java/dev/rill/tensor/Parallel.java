package dev.rill.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * Splits loops across all cores. A dedicated pool (not the common pool) so that kernels never
 * compete with unrelated tasks and can be sized with {@code -Drill.threads=N}.
 */
public final class Parallel {

    private static volatile int THREADS = Integer.getInteger("rill.threads", Runtime.getRuntime().availableProcessors());
    private static volatile ForkJoinPool POOL = pool(THREADS);

    private Parallel() {
    }

    private static ForkJoinPool pool(int threads) {
        return threads > 1 ? new ForkJoinPool(threads, pool -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            t.setName("rill-compute-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false) : null;
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
        ForkJoinPool old = POOL;
        POOL = pool(threads);
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
     * about four chunks per core so that uneven chunks balance out.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        ForkJoinPool pool = POOL;
        int chunks = Math.min(ceilDiv(n, Math.max(1, grain)), THREADS * 4);
        // Nested loops run inline: the outer loop already keeps every core busy.
        if (pool == null || chunks <= 1 || ForkJoinTask.getPool() == pool) {
            body.run(0, n);
            return;
        }
        pool.invoke(new Chunk(body, 0, n, ceilDiv(n, chunks)));
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static final class Chunk extends RecursiveAction {
        private final RangeBody body;
        private final int from, to, step;

        Chunk(RangeBody body, int from, int to, int step) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.step = step;
        }

        @Override
        protected void compute() {
            if (to - from <= step) {
                body.run(from, to);
                return;
            }
            int mid = from + ((to - from) / step / 2) * step;
            if (mid <= from) mid = from + step;
            invokeAll(new Chunk(body, from, mid, step), new Chunk(body, mid, to, step));
        }
    }
}
