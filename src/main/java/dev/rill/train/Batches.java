package dev.rill.train;

import java.util.SplittableRandom;

/**
 * Draws training windows as the seed says: {@code nBatch} start indices uniform over the split,
 * inputs {@code s[i..i+T)}, targets {@code s[i+1..i+T]}. The windows of step {@code k} depend only
 * on the seed and {@code k}, so a resumed run sees the same batches.
 */
final class Batches {

    private Batches() {
    }

    static void draw(int[] tokens, int from, int length, int T, int nBatch, long seed, long stream, int[] x, int[] y) {
        SplittableRandom random = new SplittableRandom(mix(seed, stream));
        int starts = length - T;   // i ∈ [0, length − T − 1] keeps i + T inside the split
        for (int b = 0; b < nBatch; b++) {
            int i = from + random.nextInt(starts);
            System.arraycopy(tokens, i, x, b * T, T);
            System.arraycopy(tokens, i + 1, y, b * T, T);
        }
    }

    /** A well-spread 64-bit key for (seed, stream). */
    static long mix(long seed, long stream) {
        long z = seed * 0x9E3779B97F4A7C15L + stream * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
