package dev.rill.sampler;

import dev.rill.spi.Candidates;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static dev.rill.sampler.Steps.apply;
import static dev.rill.sampler.Steps.candidates;
import static dev.rill.sampler.Steps.logOf;
import static dev.rill.sampler.Steps.reversed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** top-k, top-p, min-p and typical keep exactly the tokens their definitions name. */
class FiltersTest {

    // --- top-k ---

    @Test
    void topKKeepsTheKBestWithTiesGoingToLowerIds() {
        float[] l = {1, 3, 3, 2, 3, 0};
        assertArrayEquals(new int[]{1}, apply("top-k", Map.of("top_k", 1), candidates(l)));
        // Three tokens tie at 3 (ids 1, 2, 4): k = 2 keeps the two lowest ids, whatever their position.
        assertArrayEquals(new int[]{1, 2}, apply("top-k", Map.of("top_k", 2), candidates(l)));
        assertArrayEquals(new int[]{1, 2}, apply("top-k", Map.of("top_k", 2), reversed(l)));
        assertArrayEquals(new int[]{1, 2, 3, 4}, apply("top-k", Map.of("top_k", 4), reversed(l)));
    }

    @Test
    void topKLargerThanTheVocabularyOrZeroKeepsEverything() {
        float[] l = {1, 3, 3, 2, 3, 0};
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5}, apply("top-k", Map.of("top_k", 1000), candidates(l)));
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5}, apply("top-k", Map.of("top_k", 6), candidates(l)));
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5}, apply("top-k", Map.of("top_k", 0), candidates(l)));
    }

    @Test
    void topKSortsWhatItKeeps() {
        Candidates c = candidates(0, 5, 1, 4, 2, 3);
        apply("top-k", Map.of("top_k", 3), c);
        assertArrayEquals(new int[]{1, 3, 5}, Arrays.copyOf(c.ids, c.size));
        assertArrayEquals(new float[]{5, 4, 3}, Arrays.copyOf(c.logits, c.size));
    }

    // --- top-p ---

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // p = 0.5, 0.25, 0.125, 0.125: cumulative 0.5, 0.75, 0.875, 1.
        float[] l = logOf(0.5, 0.25, 0.125, 0.125);
        assertArrayEquals(new int[]{0}, apply("top-p", Map.of("top_p", 0.3), candidates(l)));
        assertArrayEquals(new int[]{0, 1}, apply("top-p", Map.of("top_p", 0.6), candidates(l)));
        // 0.8 needs a third token; ids 2 and 3 tie, so id 2 is kept.
        assertArrayEquals(new int[]{0, 1, 2}, apply("top-p", Map.of("top_p", 0.8), candidates(l)));
        assertArrayEquals(new int[]{0, 1, 2}, apply("top-p", Map.of("top_p", 0.8), reversed(l)));
        assertArrayEquals(new int[]{0, 1, 2, 3}, apply("top-p", Map.of("top_p", 0.9), candidates(l)));
        assertArrayEquals(new int[]{0, 1, 2, 3}, apply("top-p", Map.of("top_p", 1.0), candidates(l)));
    }

    @Test
    void topPHonoursMinKeep() {
        float[] l = logOf(0.5, 0.25, 0.125, 0.125);
        assertArrayEquals(new int[]{0, 1, 2}, apply("top-p", Map.of("top_p", 0.3, "min_keep", 3), candidates(l)));
        assertArrayEquals(new int[]{0, 1, 2, 3}, apply("top-p", Map.of("top_p", 0.3, "min_keep", 10), candidates(l)));
    }

    @Test
    void topPOnEqualProbabilitiesCutsByTokenId() {
        float[] l = new float[10]; // ten tokens of 0.1 each: 0.25 needs three
        assertArrayEquals(new int[]{0, 1, 2}, apply("top-p", Map.of("top_p", 0.25), reversed(l)));
    }

    @Test
    void topPAfterTopKUsesTheProbabilitiesOfTheSurvivors() {
        // After top-k 2: 0.5 and 0.25 renormalize to 2/3 and 1/3, so top_p 0.6 keeps only token 0.
        float[] l = logOf(0.5, 0.25, 0.125, 0.125);
        Candidates c = candidates(l);
        apply("top-k", Map.of("top_k", 2), c);
        assertArrayEquals(new int[]{0}, apply("top-p", Map.of("top_p", 0.6), c));
    }

    // --- min-p ---

    @Test
    void minPKeepsTokensAtLeastMinPTimesTheBest() {
        // p = 0.5, 0.25, 0.125, 0.0625, 0.0625
        float[] l = logOf(0.5, 0.25, 0.125, 0.0625, 0.0625);
        assertArrayEquals(new int[]{0, 1, 2}, apply("min-p", Map.of("min_p", 0.2), candidates(l)));     // floor 0.1
        assertArrayEquals(new int[]{0, 1}, apply("min-p", Map.of("min_p", 0.4), reversed(l)));          // floor 0.2
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, apply("min-p", Map.of("min_p", 0.1), candidates(l))); // floor 0.05: both tied tokens
        assertArrayEquals(new int[]{0}, apply("min-p", Map.of("min_p", 0.9), candidates(l)));
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, apply("min-p", Map.of("min_p", 0.0), candidates(l)));
    }

    @Test
    void minPOfOneKeepsEveryTokenTiedForBest() {
        assertArrayEquals(new int[]{0, 2}, apply("min-p", Map.of("min_p", 1.0), candidates(2, 1, 2, 0)));
    }

    @Test
    void minPHonoursMinKeepWithTiesToLowerIds() {
        float[] l = logOf(0.5, 0.25, 0.125, 0.0625, 0.0625);
        assertArrayEquals(new int[]{0, 1}, apply("min-p", Map.of("min_p", 0.9, "min_keep", 2), candidates(l)));
        assertArrayEquals(new int[]{0, 1, 2, 3}, apply("min-p", Map.of("min_p", 0.9, "min_keep", 4), reversed(l)));
    }

    // --- typical ---

    @Test
    void typicalKeepsTokensWhoseSurpriseIsClosestToTheEntropy() {
        // p = 0.4, 0.3, 0.2, 0.1: H = 1.2799 nats; |-ln p - H| = 0.364, 0.076, 0.330, 1.023,
        // so the order of typicality is ids 1, 2, 0, 3 with cumulative mass 0.3, 0.5, 0.9, 1.
        float[] l = logOf(0.4, 0.3, 0.2, 0.1);
        assertArrayEquals(new int[]{1}, apply("typical", Map.of("typical_p", 0.2), candidates(l)));
        // The most likely token is not among the two most typical.
        assertArrayEquals(new int[]{1, 2}, apply("typical", Map.of("typical_p", 0.4), candidates(l)));
        assertArrayEquals(new int[]{0, 1, 2}, apply("typical", Map.of("typical_p", 0.6), reversed(l)));
        assertArrayEquals(new int[]{0, 1, 2, 3}, apply("typical", Map.of("typical_p", 0.95), candidates(l)));
        assertArrayEquals(new int[]{0, 1, 2, 3}, apply("typical", Map.of("typical_p", 1.0), candidates(l)));
        assertArrayEquals(new int[]{1, 2}, apply("typical", Map.of("typical_p", 0.2, "min_keep", 2), candidates(l)));
    }

    @Test
    void typicalLeavesItsSurvivorsInDescendingLogitOrder() {
        Candidates c = candidates(logOf(0.4, 0.3, 0.2, 0.1));
        apply("typical", Map.of("typical_p", 0.6), c);
        assertArrayEquals(new int[]{0, 1, 2}, Arrays.copyOf(c.ids, c.size));
    }

    @Test
    void exactBoundariesFollowLlamaCpp() {
        // Four equal logits: every probability is exactly 0.25, so the cumulative mass hits 0.5 exactly.
        float[] uniform = new float[4];
        // top-p stops once the mass is at least p: two tokens.
        assertArrayEquals(new int[]{0, 1}, apply("top-p", Map.of("top_p", 0.5), candidates(uniform)));
        // typical stops only once the mass exceeds p: three tokens (all equally typical, so by id).
        assertArrayEquals(new int[]{0, 1, 2}, apply("typical", Map.of("typical_p", 0.5), candidates(uniform)));
        // min-p keeps a token exactly at the floor: p_i = min_p · p_max.
        assertArrayEquals(new int[]{0, 1, 2, 3}, apply("min-p", Map.of("min_p", 1.0), candidates(uniform)));
    }

    // --- every filter against a plain reference on random logits with ties ---

    /** Reference order: by probability descending, then id ascending. */
    static Integer[] order(float[] l) {
        Integer[] ids = IntStream.range(0, l.length).boxed().toArray(Integer[]::new);
        Arrays.sort(ids, (a, b) -> l[a] > l[b] ? -1 : l[a] < l[b] ? 1 : Integer.compare(a, b));
        return ids;
    }

    static int[] sorted(List<Integer> ids) {
        return ids.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    static int[] referenceMinP(float[] l, double minP, int minKeep) {
        double[] p = Steps.softmax(l, 1);
        double best = Arrays.stream(p).max().orElseThrow();
        Integer[] order = order(l);
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < order.length; i++) if (p[order[i]] >= minP * best || i < minKeep) kept.add(order[i]);
        return sorted(kept);
    }

    static int[] referenceTypical(float[] l, double typicalP, int minKeep) {
        double[] p = Steps.softmax(l, 1);
        double h = 0;
        for (double x : p) if (x > 0) h -= x * Math.log(x);
        double entropy = h;
        Integer[] byProb = order(l);
        int[] rank = new int[l.length];
        for (int i = 0; i < byProb.length; i++) rank[byProb[i]] = i;
        Integer[] ids = IntStream.range(0, l.length).boxed().toArray(Integer[]::new);
        Arrays.sort(ids, Comparator.<Integer>comparingDouble(i -> (float) Math.abs(-Math.log(p[i]) - entropy))
                .thenComparingInt(i -> rank[i]));
        List<Integer> kept = new ArrayList<>();
        double cumulative = 0;
        for (int i = 0; i < ids.length; i++) {
            kept.add(ids[i]);
            cumulative += p[ids[i]];
            if (cumulative > typicalP && i + 1 >= minKeep) break;
        }
        return sorted(kept);
    }

    @Test
    void minPAndTypicalMatchTheirDefinitionsOnRandomLogits() {
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(300);
            float[] l = new float[n];
            boolean ties = r.nextBoolean();
            for (int i = 0; i < n; i++) l[i] = ties ? r.nextInt(8) * 0.5f : (float) (2 * r.nextGaussian());
            double minP = r.nextDouble();
            double typicalP = 0.05 + 0.9 * r.nextDouble();
            int minKeep = r.nextInt(4) == 0 ? r.nextInt(10) : 0;
            String what = "trial " + trial + " n=" + n;
            assertArrayEquals(referenceMinP(l, minP, minKeep),
                    apply("min-p", Map.of("min_p", minP, "min_keep", minKeep), r.nextBoolean() ? candidates(l) : reversed(l)), what);
            assertArrayEquals(referenceTypical(l, typicalP, minKeep),
                    apply("typical", Map.of("typical_p", typicalP, "min_keep", minKeep), r.nextBoolean() ? candidates(l) : reversed(l)), what);
        }
    }

    @Test
    void filtersAgreeOnSortedAndUnsortedInputOfAFullVocabulary() {
        // 50,000 tokens: top-p goes through the weighted cut, top-k through the heap and quickselect.
        SplittableRandom r = new SplittableRandom(5);
        float[] l = new float[50_000];
        for (int i = 0; i < l.length; i++) l[i] = (float) (0.5 * r.nextGaussian());
        for (var step : List.of(Map.entry("top-k", Map.of("top_k", 37)), Map.entry("top-k", Map.of("top_k", 3000)),
                Map.entry("top-p", Map.of("top_p", 0.9)), Map.entry("min-p", Map.of("min_p", 0.2)))) {
            Candidates sortedInput = candidates(l);
            sortedInput.sortDescending();
            assertArrayEquals(apply(step.getKey(), step.getValue(), sortedInput), apply(step.getKey(), step.getValue(), reversed(l)),
                    step.toString());
        }
        Candidates c = candidates(l);
        int[] kept = apply("top-k", Map.of("top_k", 3000), c);
        assertEquals(3000, kept.length);
        Integer[] order = order(l);
        assertArrayEquals(sorted(Arrays.asList(order).subList(0, 3000)), kept);
    }
}
