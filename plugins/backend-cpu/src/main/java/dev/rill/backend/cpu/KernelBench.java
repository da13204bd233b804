package dev.rill.backend.cpu;

import dev.rill.spi.BlockFormats;
import dev.rill.spi.Linear;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.Tensor.DType;
import dev.rill.tensor.JitWarmup;
import dev.rill.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * One weight type's CPU kernels timed apart from a model ({@code rill bench kernels}). A model's
 * tokens/s cannot say whether a decode step waits on the kernel's arithmetic or on memory; this can:
 * the same product (a {@code rows × cols} matrix times one vector, through {@link MatMul} as a
 * model's layers call it) is timed on one matrix that stays in cache and, round-robin, on a set of
 * copies several times the last-level cache, beside a plain read of memory by the same threads
 * ({@link #streamRead}). The prompt path (the matrix times {@code M} vectors) is timed too. Weights
 * are random (Gaussian) and quantized with {@link BlockFormats#quantize}; every result is checked
 * against float64 products of the dequantized weights before it is timed.
 */
public final class KernelBench {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * @param bytesPerWeight       the stored format's bytes per weight (the file's, as llama.cpp reads it)
     * @param cacheWeightsPerSec   decode on one matrix, again and again
     * @param memoryWeightsPerSec  decode round-robin over {@code copies} matrices
     * @param promptMacsPerSec     multiply-adds per second of the {@code promptRows}-row product
     * @param maxRelativeError     the largest |y − y_ref| over the largest |y_ref|, decode and prompt
     */
    public record Result(DType type, int rows, int cols, double bytesPerWeight, double cacheWeightsPerSec,
                         int copies, double memoryWeightsPerSec, int promptRows, double promptMacsPerSec,
                         double maxRelativeError) {

        /** Bytes of the stored format read per second in the from-memory decode. */
        public double memoryBytesPerSec() {
            return memoryWeightsPerSec * bytesPerWeight;
        }
    }

    private KernelBench() {
    }

    /**
     * Times {@code type}'s kernels on the calling thread's pool ({@link Parallel}): decode in cache,
     * decode over copies holding at least {@code memoryBytes} in the stored format, and the
     * {@code promptRows}-row product, each over about {@code seconds} after a warm-up ({@link #perSecond}).
     * Call {@link #warmUp} first with every type to be timed.
     *
     * @throws IllegalArgumentException for a shape or type the kernels do not take
     */
    public static Result run(DType type, int rows, int cols, long memoryBytes, int promptRows, double seconds) {
        checkShape(type, rows, cols);
        long fileBytes = BlockFormats.rowBytes(type, cols) * rows;
        if (fileBytes > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("a " + rows + "x" + cols + " " + type + " matrix is over 2 GiB; take a smaller shape");
        if (promptRows < 2) throw new IllegalArgumentException("the prompt product needs at least 2 rows, got " + promptRows);
        Random random = new Random(42);
        float[] w = gaussian(random, rows * cols), x = gaussian(random, cols), xs = gaussian(random, promptRows * cols);
        byte[] stored = BlockFormats.quantize(type, w, 0, w.length);
        int copies = (int) Math.max(2, (memoryBytes + stored.length - 1) / stored.length);
        Linear[] set = new Linear[copies];
        for (int i = 0; i < copies; i++) {
            set[i] = new Linear(new MappedTensor(type, rows, cols, MemorySegment.ofArray(i == 0 ? stored : stored.clone())), null, Linear.Layout.OUT_IN);
            MatMul.prepare(set[i]);
        }
        float[] y = new float[rows], ys = new float[promptRows * rows];
        MatMul.forward(set[0], x, 1, y);
        MatMul.forward(set[0], xs, promptRows, ys);
        // The prompt's first rows only: the float64 reference of all of them would outlast the timing.
        double error = Math.max(relativeError(stored, type, rows, cols, x, 1, y, 1), relativeError(stored, type, rows, cols, xs, promptRows, ys, 4));

        double weights = (double) rows * cols;
        double cache = perSecond(seconds, () -> MatMul.forward(set[0], x, 1, y)) * weights;
        int[] next = {0};
        double memory = perSecond(seconds, () -> MatMul.forward(set[next[0]++ % copies], x, 1, y)) * weights;
        double prompt = perSecond(seconds, () -> MatMul.forward(set[0], xs, promptRows, ys)) * weights * promptRows;
        return new Result(type, rows, cols, (double) fileBytes / weights, cache, copies, memory, promptRows, prompt, error);
    }

    /**
     * Bytes per second the calling pool's threads read from a {@code bytes}-long array with vector
     * loads and no other work (each thread its own part): what a kernel streaming its matrix from
     * memory could reach at most.
     */
    public static double streamRead(long bytes, double seconds) {
        float[] a = new float[(int) Math.min(Integer.MAX_VALUE - 64, bytes / 4) / F.length() * F.length()];
        int vectors = a.length / F.length();
        DoubleAdder sink = new DoubleAdder();
        double perSec = perSecond(seconds, () -> Parallel.forRange(vectors, 1 << 14, (v0, v1) -> {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            int i = v0 * F.length(), end = v1 * F.length(), L = F.length();
            for (; i + 4 * L <= end; i += 4 * L) {
                s0 = s0.add(FloatVector.fromArray(F, a, i));
                s1 = s1.add(FloatVector.fromArray(F, a, i + L));
                s2 = s2.add(FloatVector.fromArray(F, a, i + 2 * L));
                s3 = s3.add(FloatVector.fromArray(F, a, i + 3 * L));
            }
            for (; i < end; i += L) s0 = s0.add(FloatVector.fromArray(F, a, i));
            sink.add(s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD));
        }));
        return perSec * 4.0 * a.length;
    }

    /**
     * Calls of {@code op} per second, once {@link #settle} has warmed it up: the best of three windows
     * of a third of {@code seconds}. The best, because a kernel that C2 threw away (an uncommon trap
     * on a path the warm-up did not take) runs interpreted until it is compiled again, and one slow
     * call can outlast the JIT's quiet half second (seen once in six runs: a Q4_K prompt at 18.6 G
     * multiply-adds/s where the others read 110–118).
     */
    private static double perSecond(double seconds, Runnable op) {
        double[] result = new double[1];
        Parallel.inBurst(() -> {
            settle(op, seconds / 4);
            for (int i = 0; i < 3; i++) result[0] = Math.max(result[0], timed(seconds / 3, op));
        });
        return result[0];
    }

    /** Runs {@code op} for at least {@code minSeconds} and until the JIT has been quiet for half a second ({@link JitWarmup}). */
    private static void settle(Runnable op, double minSeconds) {
        JitWarmup.untilCompiled(() -> timed(0.05, op), minSeconds, 0.5, MAX_WARMUP_SECONDS);
    }

    /**
     * Compiles the kernels of every type in {@code types} before any is timed, on matrices of 64 rows
     * (and {@code cols} columns: loops that ran shorter in the warm-up would be compiled for that):
     * decode, and prompts of 2, 5 and 8 or more rows (the four-, two- and one-row kernels and their
     * tiles). All types together, so that what C2 compiles for their shared dispatch has seen each
     * of them: compiled for one type, it is thrown away at the next type's first call and rebuilt
     * only after thousands of calls, which a product run interpreted takes seconds over each.
     *
     * @throws IllegalArgumentException for a type whose blocks {@code cols} does not hold whole
     */
    public static void warmUp(Collection<DType> types, int cols, int promptRows) {
        int rows = 64, M = Math.max(8, Math.min(promptRows, 32));
        Random random = new Random(7);
        List<Linear> lins = new ArrayList<>();
        for (DType t : types) {
            checkShape(t, rows, cols);
            byte[] stored = BlockFormats.quantize(t, gaussian(random, rows * cols), 0, rows * cols);
            lins.add(new Linear(new MappedTensor(t, rows, cols, MemorySegment.ofArray(stored)), null, Linear.Layout.OUT_IN));
        }
        float[] x = gaussian(random, M * cols), y = new float[M * rows];
        Parallel.inBurst(() -> settle(() -> {
            for (Linear lin : lins) for (int m : new int[]{1, 2, 5, M}) MatMul.forward(lin, x, m, y);
        }, 1));
    }

    private static void checkShape(DType type, int rows, int cols) {
        if (rows < 1 || cols < 1) throw new IllegalArgumentException("the matrix needs at least one row and one column, got " + rows + "x" + cols);
        if ((long) rows * cols > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("a " + rows + "x" + cols + " matrix has over 2^31 weights; take a smaller shape");
        int block = BlockFormats.blockSize(type);
        if (cols % block != 0) throw new IllegalArgumentException(type + " rows hold whole blocks of " + block + " weights; " + cols + " columns is not a multiple of " + block);
    }

    /** The longest a warm-up waits for the JIT to settle. */
    static final int MAX_WARMUP_SECONDS = 30;

    /** Calls of {@code op} per second over at least {@code seconds} (and at least one call). */
    private static double timed(double seconds, Runnable op) {
        long t0 = System.nanoTime(), end = t0 + (long) (seconds * 1e9), calls = 0, now;
        do {
            op.run();
            calls++;
        } while ((now = System.nanoTime()) < end);
        return calls / ((now - t0) / 1e9);
    }

    /** max |y − y_ref| / max |y_ref| over the first {@code checked} of {@code M} rows of {@code x} times the dequantized weights, in float64. */
    private static double relativeError(byte[] stored, DType type, int rows, int cols, float[] x, int M, float[] y, int checked) {
        MemorySegment s = MemorySegment.ofArray(stored);
        float[] row = new float[cols];
        double maxDiff = 0, maxRef = 0;
        for (int o = 0; o < rows; o++) {
            BlockFormats.dequantize(type, s, o * BlockFormats.rowBytes(type, cols), row, 0, cols);
            for (int m = 0; m < Math.min(M, checked); m++) {
                double ref = 0;
                for (int k = 0; k < cols; k++) ref += (double) row[k] * x[m * cols + k];
                maxDiff = Math.max(maxDiff, Math.abs(y[m * rows + o] - ref));
                maxRef = Math.max(maxRef, Math.abs(ref));
            }
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }

    private static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
        return v;
    }
}
