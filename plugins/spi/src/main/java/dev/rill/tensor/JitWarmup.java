package dev.rill.tensor;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Runs code until the JIT has compiled what it uses. A Vector API kernel runs interpreted, its
 * vectors boxed on the heap, until C2 has compiled it — tens of times slower — and C2 takes seconds
 * over the largest kernels; so a first call is no measure of speed, and a first request would wait.
 * Quiet is read from the JVM's total compilation time ({@link CompilationMXBean}): when it has not
 * grown for a while, what the code needs is compiled.
 */
public final class JitWarmup {

    private JitWarmup() {
    }

    /**
     * Runs {@code round} again and again: for at least {@code minSeconds}, then until the JIT has
     * compiled nothing for {@code quietSeconds}, and for at most {@code maxSeconds} (where the JVM
     * cannot report compilation time, {@code minSeconds} only).
     *
     * @return the rounds run (at least one)
     */
    public static int untilCompiled(Runnable round, double minSeconds, double quietSeconds, double maxSeconds) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean watch = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime(), quietSince = start, compiled = watch ? jit.getTotalCompilationTime() : 0;
        long min = (long) (minSeconds * 1e9), quiet = (long) (quietSeconds * 1e9), max = (long) (maxSeconds * 1e9);
        int rounds = 0;
        while (true) {
            round.run();
            rounds++;
            long now = System.nanoTime(), c = watch ? jit.getTotalCompilationTime() : compiled;
            if (c != compiled) {
                compiled = c;
                quietSince = now;
            }
            if (now - start >= max || now - start >= min && (!watch || now - quietSince >= quiet)) return rounds;
        }
    }
}
