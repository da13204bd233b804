package dev.rill.spi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;


import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks every selection of {@link Candidates} against a plain reference: all tokens sorted by
 * (logit descending, id ascending) with a boxed comparator, then cut by the definition.
 */
class CandidatesTest {

    /** Logits drawn from a few values, so that ties are everywhere; or continuous ones. */
    static float[] logits(int n, long seed, boolean ties) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = ties ? r.nextInt(12) - 6 : (float) (3 * r.nextGaussian());
        return l;
    }

    /** Token ids in reference order: descending logit (numerically, so -0.0 equals 0.0), then ascending id. */
    static int[] referenceOrder(float[] logits) {
        Comparator<Integer> byLogitThenId = (a, b) -> logits[a] > logits[b] ? -1 : logits[a] < logits[b] ? 1 : Integer.compare(a, b);
        return IntStream.range(0, logits.length).boxed().sorted(byLogitThenId).mapToInt(Integer::intValue).toArray();
    }

    /** Candidates in a scrambled order (not id order), as after earlier steps of a chain. */
    static Candidates scrambled(float[] logits, long seed) {
        Candidates c = new Candidates(logits.length).reset(logits, logits.length);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = c.size - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = c.ids[i];
            c.ids[i] = c.ids[j];
            c.ids[j] = t;
            float u = c.logits[i];
            c.logits[i] = c.logits[j];
            c.logits[j] = u;
        }
        return c;
    }

    static int[] live(Candidates c) {
        return Arrays.copyOf(c.ids, c.size);
    }

    static int[] sortedCopy(int[] a) {
        int[] b = a.clone();
        Arrays.sort(b);
        return b;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 40, 256, 1024, 1025, 3000, 4999, 5000, 6000})
    void keepTopKeepsTheKBestInOrderWithTiesToLowerIds(int k) {
        for (boolean ties : new boolean[]{true, false}) {
            float[] l = logits(5000, 11 + k, ties);
            int[] expected = Arrays.copyOf(referenceOrder(l), Math.min(k, l.length));
            for (Candidates c : new Candidates[]{new Candidates(l.length).reset(l, l.length), scrambled(l, k)}) {
                c.keepTop(k);
                assertArrayEquals(expected, live(c), "k=" + k + " ties=" + ties);
                assertTrue(c.sorted);
                for (int i = 0; i < c.size; i++) assertEquals(l[c.ids[i]], c.logits[i], "logit travels with its id");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 256, 1024, 1500, 4000})
    void sortTopOrdersThePrefixAndKeepsEveryEntry(int m) {
        float[] l = logits(4000, 5 + m, true);
        int[] order = referenceOrder(l);
        Candidates c = scrambled(l, m);
        c.sortTop(m);
        assertEquals(l.length, c.size);
        assertArrayEquals(Arrays.copyOf(order, m), Arrays.copyOf(c.ids, m));
        assertArrayEquals(IntStream.range(0, l.length).toArray(), sortedCopy(live(c)), "no entry lost or doubled");
        for (int i = 0; i < c.size; i++) assertEquals(l[c.ids[i]], c.logits[i]);
        assertEquals(m >= l.length, c.sorted);
    }

    @Test
    void sortDescendingMatchesTheReferenceAndFoldsNegativeZero() {
        float[] l = logits(3000, 3, true);
        l[10] = -0.0f;
        l[5] = 0.0f;
        l[20] = Float.NEGATIVE_INFINITY;
        l[2] = Float.NEGATIVE_INFINITY;
        Candidates c = scrambled(l, 9);
        c.sortDescending();
        assertArrayEquals(referenceOrder(l), live(c));
        assertTrue(c.sorted);
        // -0.0 and 0.0 are equal logits: the lower id comes first.
        int at5 = Arrays.stream(live(c)).boxed().toList().indexOf(5);
        int at10 = Arrays.stream(live(c)).boxed().toList().indexOf(10);
        assertTrue(at5 < at10);
        assertEquals(2, c.ids[c.size - 2]);
        assertEquals(20, c.ids[c.size - 1]);
    }

    /** The definition: the shortest prefix of the reference order with softmax mass ≥ p and ≥ minKeep entries. */
    static int[] referenceNucleus(float[] l, int[] order, double p, int minKeep) {
        double max = l[order[0]];
        double sum = 0;
        for (float x : l) sum += Math.exp(x - max);
        double cumulative = 0;
        for (int i = 0; i < order.length; i++) {
            cumulative += Math.exp(l[order[i]] - max) / sum;
            if (cumulative >= p && i + 1 >= minKeep) return Arrays.copyOf(order, i + 1);
        }
        return order;
    }

    @Test
    void keepNucleusKeepsTheSmallestPrefixReachingP() {
        // Sizes below the first try, peaked (answer in the first 256) and flat (needs the weighted cut).
        for (int n : new int[]{10, 200, 3000, 20000}) {
            for (boolean ties : new boolean[]{true, false}) {
                float[] l = logits(n, n + 17, ties);
                if (!ties && n > 3000) for (int i = 0; i < n; i++) l[i] *= 0.3f; // flat: thousands of tokens per nucleus
                int[] order = referenceOrder(l);
                for (double p : new double[]{0.01, 0.3, 0.5, 0.9, 0.95, 0.999}) {
                    for (int minKeep : new int[]{0, 300}) {
                        int[] expected = referenceNucleus(l, order, p, minKeep);
                        for (Candidates c : new Candidates[]{scrambled(l, 1), sorted(l)}) {
                            c.keepNucleus(p, minKeep);
                            String what = "n=" + n + " p=" + p + " ties=" + ties + " minKeep=" + minKeep;
                            assertArrayEquals(sortedCopy(expected), sortedCopy(live(c)), what);
                            for (int i = 0; i < c.size; i++) assertEquals(l[c.ids[i]], c.logits[i]);
                            if (c.sorted) assertArrayEquals(expected, live(c), what);
                        }
                    }
                }
            }
        }
    }

    static Candidates sorted(float[] l) {
        Candidates c = new Candidates(l.length).reset(l, l.length);
        c.sortDescending();
        return c;
    }

    @Test
    void keepNucleusWithEqualLogitsCutsByIdAndFullMassKeepsAll() {
        float[] l = new float[10]; // uniform: each token 0.1
        Candidates c = new Candidates(10).reset(l, 10);
        c.keepNucleus(0.25, 0);
        assertArrayEquals(new int[]{0, 1, 2}, live(c)); // 0.3 is the first cumulative mass >= 0.25
        c = new Candidates(10).reset(l, 10);
        c.keepNucleus(1.0, 0);
        assertEquals(10, c.size);
    }

    @Test
    void softmaxAndExpWeightsMatchDoublePrecision() {
        for (int n : new int[]{1, 7, 65, 1000, 32001}) {
            float[] l = logits(n, n, false);
            l[0] = Float.NEGATIVE_INFINITY;
            if (n == 1) l[0] = 2f;
            Candidates c = new Candidates(n).reset(l, n);
            float max = c.maxLogit();
            double expectedSum = 0;
            for (float x : l) expectedSum += Math.exp((double) x - max);
            assertEquals(expectedSum, c.expWeights(max), expectedSum * 1e-6);
            c.softmax();
            double total = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(Math.exp((double) l[i] - max) / expectedSum, c.probs[i], 1e-6);
                total += c.probs[i];
            }
            assertEquals(1.0, total, 1e-5);
        }
    }

    @Test
    void softmaxRefusesWhenEveryTokenIsBanned() {
        float[] l = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        Candidates c = new Candidates(2).reset(l, 2);
        var e = assertThrows(IllegalStateException.class, c::softmax);
        assertTrue(e.getMessage().contains("probability zero"), e.getMessage());
    }

    @Test
    void resetRejectsNanAndPlusInfinityButAcceptsMinusInfinity() {
        Candidates c = new Candidates(5);
        float[] l = {1, 2, Float.NaN, 4, 5};
        var e = assertThrows(IllegalArgumentException.class, () -> c.reset(l, 5));
        assertTrue(e.getMessage().contains("token 2") && e.getMessage().contains("NaN"), e.getMessage());
        l[2] = Float.POSITIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> c.reset(l, 5));
        assertTrue(e.getMessage().contains("token 2") && e.getMessage().contains("Infinity"), e.getMessage());
        l[2] = Float.NEGATIVE_INFINITY;
        c.reset(l, 5);
        assertEquals(5, c.size);
        assertThrows(IllegalArgumentException.class, () -> c.reset(l, 6));
        assertThrows(IllegalArgumentException.class, () -> c.reset(l, 0));
    }

    @Test
    void argmaxBreaksTiesByLowestIdEvenWhenScrambled() {
        float[] l = {1, 5, 3, 5, 5, 0};
        Candidates c = new Candidates(6).reset(l, 6);
        assertEquals(1, c.ids[c.argmax()]);
        c = scrambled(l, 4);
        assertEquals(1, c.ids[c.argmax()]);
    }

    @Test
    void indexOfAndThresholdFilters() {
        float[] l = {0, 4, 2, 4, 1, 3};
        Candidates c = scrambled(l, 2);
        for (int id = 0; id < 6; id++) assertEquals(id, c.ids[c.indexOf(id)]);
        assertEquals(-1, c.indexOf(6));
        assertEquals(4, c.countAtLeast(2f));
        c.keepAtLeast(2f);
        assertArrayEquals(new int[]{1, 2, 3, 5}, sortedCopy(live(c)));
        c = new Candidates(6).reset(l, 6);
        assertEquals(3, c.indexOf(3));
        c.sortDescending();
        c.keepAtLeast(3f);
        assertArrayEquals(new int[]{1, 3, 5}, live(c));
        assertEquals(-1, c.indexOf(0));
        assertFalse(c.size == 6);
    }
}
