package dev.rill.cli;

import dev.rill.backend.cpu.KernelBench;
import dev.rill.spi.Tensor.DType;
import dev.rill.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code rill bench kernels}: the CPU backend's matrix kernels, one weight type at a time, apart
 * from a model ({@link KernelBench}): decode on a matrix in cache and on a set of copies from memory,
 * beside a plain read of memory by as many threads, and the prompt product.
 */
@Command(name = "kernels", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Matrix kernels per weight type: decode in cache and from memory (against a plain read of memory), prompt product.")
final class BenchKernelsCommand implements Runnable {

    @Option(names = "--types", split = ",", paramLabel = "TYPE", defaultValue = "F32,F16,Q8_0,Q4_0,Q4_K,Q6_K",
            description = "Weight types, comma-separated: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K.")
    List<String> types;
    @Option(names = "--shape", paramLabel = "ROWSxCOLS", defaultValue = "2048x2048", description = "The matrix: output rows x input columns.")
    String shape;
    @Option(names = "--memory-mb", paramLabel = "MB", defaultValue = "256",
            description = "Stored bytes of the copies decoded round-robin for the from-memory figure (several times the last-level cache).")
    long memoryMb;
    @Option(names = "--prompt-rows", paramLabel = "M", defaultValue = "128", description = "Rows (tokens) of the prompt product.")
    int promptRows;
    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "Compute threads.")
    int threads;
    @Option(names = "--seconds", paramLabel = "S", defaultValue = "1", description = "Time per figure, the best of three windows of a third of it, after a warm-up.")
    double seconds;

    @Override
    public void run() {
        String[] rc = shape.toLowerCase(Locale.ROOT).split("x");
        int rows, cols;
        try {
            if (rc.length != 2) throw new NumberFormatException();
            rows = Integer.parseInt(rc[0].trim());
            cols = Integer.parseInt(rc[1].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--shape: expected ROWSxCOLS such as 2048x2048, got '" + shape + "'");
        }
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        if (!(seconds > 0)) throw new IllegalArgumentException("--seconds must be > 0, got " + seconds);
        if (memoryMb < 1) throw new IllegalArgumentException("--memory-mb must be >= 1, got " + memoryMb);
        List<DType> parsed = new ArrayList<>();
        for (String t : types) {
            try {
                parsed.add(DType.valueOf(t.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--types: unknown type '" + t + "'; accepted: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K");
            }
        }
        long memory = memoryMb << 20;
        try (Parallel pool = new Parallel(threads)) {
            double read = pool.call(() -> KernelBench.streamRead(memory, seconds));
            System.out.printf(Locale.ROOT, "%dx%d, %s; plain read of memory %.1f GB/s (load %.2f)%n",
                    rows, cols, BenchTrainCommand.threadCount(threads), read / 1e9, BenchModelCommand.loadAverage());
            System.out.printf(Locale.ROOT, "%-6s %8s %14s %16s %10s %9s %18s %10s %6s%n", "type", "B/weight", "cache Gw/s", "memory Gw/s",
                    "GB/s", "of read", "prompt GMAC/s", "max err", "load");
            pool.run(() -> KernelBench.warmUp(parsed, cols, promptRows));
            for (DType t : parsed) {
                KernelBench.Result r = pool.call(() -> KernelBench.run(t, rows, cols, memory, promptRows, seconds));
                System.out.printf(Locale.ROOT, "%-6s %8.3f %14.1f %16.1f %10.1f %8.0f%% %18.1f %10.1e %6.2f%n", t, r.bytesPerWeight(),
                        r.cacheWeightsPerSec() / 1e9, r.memoryWeightsPerSec() / 1e9, r.memoryBytesPerSec() / 1e9, 100 * r.memoryBytesPerSec() / read,
                        r.promptMacsPerSec() / 1e9, r.maxRelativeError(), BenchModelCommand.loadAverage());
            }
        }
    }
}
