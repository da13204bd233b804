package dev.rill.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A pool of compute threads that splits loops across cores: the calling thread and
 * {@code threads − 1} helper threads take chunks from a shared counter. The caller never waits for
 * a helper to wake up — if none has started yet it runs the chunks itself — so the many small loops
 * of a decode step (one token, one matrix–vector product after another) cost no more than running
 * them alone. Helpers wait for the next loop spinning for {@link #SPIN_NANOS} before they park:
 * decode publishes loops microseconds apart, and waking a parked thread takes longer than many of
 * them. Dedicated threads (not the common pool) so that kernels never compete with unrelated tasks.
 *
 * <p>An instance belongs to whoever computes — a backend's prepared model, a trainer — each with
 * its own thread count, so two models, or a trainer and a server, in one JVM do not share or
 * resize each other's pool. The owner runs its work inside {@link #run}/{@link #call}; the kernels
 * ({@link Gemm}, {@code dev.rill.nn}, a backend's own) reach the pool of the work they run in through
 * the static {@link #forRange}/{@link #forEach}/{@link #threads()} (a {@link ScopedValue}, so the
 * kernels' signatures carry no pool). Outside any pool, loops run on the calling thread alone.
 */
public final class Parallel implements AutoCloseable {

    private static final ScopedValue<Parallel> CURRENT = ScopedValue.newInstance();
    /**
     * How long an idle helper spins for the next loop before it parks. Measured: 10 µs keeps most of
     * what spinning gains in decode (stories15M F32 on 2 threads: 159 tok/s without, 176 with 10 µs,
     * 187 with 50 µs) without taking the second core from the server's I/O threads between loops
     * (10.8 M model, 4 streams: 340–352 tok/s without, 336 with 10 µs, 262–298 with 50 µs).
     */
    static final long SPIN_NANOS = 10_000;
    /** Set while a thread runs a chunk: loops nested in a chunk run inline (the outer loop keeps every core busy). */
    private static final ThreadLocal<boolean[]> IN_CHUNK = ThreadLocal.withInitial(() -> new boolean[1]);

    private final int size;
    private final Helpers helpers;

    /**
     * A pool of {@code threads} compute threads, the caller's included ({@code threads − 1} helpers are started).
     *
     * @throws IllegalArgumentException when {@code threads < 1}
     */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.size = threads;
        this.helpers = threads <= 1 ? null : new Helpers(this, threads - 1);
    }

    /**
     * The thread count a pool gets when its owner is not told one: {@code -Drill.threads=N} if set,
     * else every core.
     */
    public static int defaultThreads() {
        return Integer.getInteger("rill.threads", Runtime.getRuntime().availableProcessors());
    }

    /** This pool's thread count, the caller's included. */
    public int size() {
        return size;
    }

    /** Runs {@code work} with this pool serving the loops of the kernels it calls. */
    public void run(Runnable work) {
        if (CURRENT.isBound() && CURRENT.get() == this) work.run();
        else ScopedValue.where(CURRENT, this).run(work);
    }

    /**
     * As {@link #run}, for work that is loops from end to end (a forward pass): the helpers keep
     * spinning between its loops instead of parking after {@link #SPIN_NANOS}, since its serial
     * parts (norms, rotations, activation quantization, attention set-up) often outlast that and a
     * parked helper then misses the start of the next loop while it wakes up. Between bursts they
     * park as usual, so a server's I/O threads get the cores back. Measured (stories110M Q4_K, 2
     * threads): without it the helper parked 28 times per decoded token and ran 41–44 % of the
     * chunks; with it, under once per token and 50 % — decode 209 → 254 tok/s, prompt 748 → 792.
     */
    public void burst(Runnable work) {
        if (helpers == null) {
            run(work);
            return;
        }
        helpers.bursts.incrementAndGet();
        helpers.wake();
        try {
            run(work);
        } finally {
            helpers.bursts.decrementAndGet();
        }
    }

    /** {@link #burst} on the pool the calling code runs in (outside any pool, {@code work} runs on the caller). */
    public static void inBurst(Runnable work) {
        if (CURRENT.isBound()) CURRENT.get().burst(work);
        else work.run();
    }

    /** As {@link #run}, returning {@code work}'s result (and throwing what it throws). */
    public <T, X extends Throwable> T call(ScopedValue.CallableOp<? extends T, X> work) throws X {
        if (CURRENT.isBound() && CURRENT.get() == this) return work.call();
        return ScopedValue.where(CURRENT, this).call(work);
    }

    /** Stops the helper threads (the pool runs loops on the caller alone afterwards). */
    @Override
    public void close() {
        if (helpers != null) helpers.shutdown();
    }

    /** The thread count of the pool the calling code runs in (1 outside any pool). */
    public static int threads() {
        return CURRENT.isBound() ? CURRENT.get().size : 1;
    }

    /** A range body: runs indices {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** Runs {@code body} for every index in {@code [0, n)}, spread over the current pool, one index per task. */
    public static void forEach(int n, IntConsumer body) {
        forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) body.accept(i);
        });
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of at least {@code grain} indices,
     * about four chunks per core so that uneven chunks balance out — two inside a {@link #burst},
     * whose loops are short and even (a decode step's matrices: every chunk's start and end is a
     * grab of the counter and, at the end, a wait for the other thread's last chunk; measured on 2
     * threads, stories110M Q4_K decode 267.3 -> 278.9 tok/s). Each chunk is a fixed range,
     * whichever thread runs it, so results do not depend on scheduling.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        Parallel pool = CURRENT.isBound() ? CURRENT.get() : null;
        Helpers helpers = pool == null ? null : pool.helpers;
        int threads = pool == null ? 1 : pool.size;
        boolean[] inChunk = IN_CHUNK.get();
        int perThread = helpers != null && helpers.bursts.get() > 0 ? 2 : 4;
        int step = Math.max(Math.max(1, grain), ceilDiv(n, threads * perThread));
        int chunks = ceilDiv(n, step);
        if (helpers == null || chunks <= 1 || inChunk[0]) {
            body.run(0, n);
            return;
        }
        Job job = new Job(body, n, step, chunks);
        helpers.publish(job);
        job.run();
        try {
            job.awaitAll();
        } finally {
            helpers.retire(job);
        }
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

    /**
     * The helper threads. Each joins the newest published loop once, then spins for the next one
     * for {@link #SPIN_NANOS} and parks; publishing unparks the parked ones. A helper may miss a
     * loop (it was busy, or a newer one replaced it): its caller then runs those chunks itself.
     */
    private static final class Helpers {
        private final Thread[] threads;
        private final AtomicIntegerArray parked;
        private final AtomicLong published = new AtomicLong();
        private final AtomicReference<Job> current = new AtomicReference<>();
        /** Bursts under way ({@link #burst}): while above zero, idle helpers spin instead of parking. */
        final AtomicInteger bursts = new AtomicInteger();
        private volatile boolean stopped;

        Helpers(Parallel pool, int n) {
            threads = new Thread[n];
            parked = new AtomicIntegerArray(n);
            for (int i = 0; i < n; i++) {
                int index = i;
                // A helper runs inside its pool too, so code in a chunk sees the same pool as its caller.
                threads[i] = new Thread(() -> ScopedValue.where(CURRENT, pool).run(() -> loop(index)), "rill-compute-" + i);
                threads[i].setDaemon(true);
                threads[i].start();
            }
        }

        void publish(Job job) {
            current.set(job);
            published.incrementAndGet();
            wake();
        }

        void wake() {
            for (int i = 0; i < threads.length; i++) if (parked.get(i) == 1) LockSupport.unpark(threads[i]);
        }

        /** Drops the finished loop (and what its body holds on to) unless a newer one replaced it. */
        void retire(Job job) {
            current.compareAndSet(job, null);
        }

        void shutdown() {
            stopped = true;
            for (Thread t : threads) LockSupport.unpark(t);
        }

        private void loop(int index) {
            // Nothing seen yet, not the count at start-up: a helper that starts after the first loop was
            // published (thread start-up is slow) still joins it.
            long seen = 0;
            while (!stopped) {
                long now = published.get();
                if (now != seen) {
                    seen = now;
                    Job job = current.get();
                    if (job != null) job.run();
                    continue;
                }
                long deadline = System.nanoTime() + SPIN_NANOS;
                while (published.get() == seen && !stopped && (bursts.get() > 0 || System.nanoTime() < deadline)) Thread.onSpinWait();
                if (published.get() != seen) continue;
                // Parked is set before the last look, and publish (and a burst's start) sets its
                // count before reading parked: one of the two always sees the other, so no loop is
                // slept through.
                parked.set(index, 1);
                if (published.get() == seen && !stopped && bursts.get() == 0) LockSupport.park(this);
                parked.set(index, 0);
            }
        }
    }
}
