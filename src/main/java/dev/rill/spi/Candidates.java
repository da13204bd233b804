package dev.rill.spi;

import dev.rill.tensor.Vec;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The candidate tokens of one sampling step: parallel arrays of token ids and logits, of which the
 * first {@code size} are alive. Filters shrink {@code size}; {@link #sorted} says whether the live
 * entries are in descending logit order. A selecting sampler stores its choice with {@link #select}.
 *
 * <p>Order among equal logits is always by ascending token id, so every selection below is
 * deterministic: when a cut falls inside a run of equal logits, the lower ids survive.
 * Logits must not be NaN; {@code -inf} marks a banned token (probability zero).
 *
 * <p>Selection never sorts the whole vocabulary unless asked to: {@link #keepTop} and
 * {@link #sortTop} use a bounded heap for small {@code k} and a quickselect otherwise, so the
 * cost is about one pass over the live entries plus {@code k log k}.
 */
public final class Candidates {

    /** Up to this many, the best entries are found with a heap; beyond it, with a quickselect. */
    private static final int HEAP_LIMIT = 1024;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Doubles of the same width: one float vector converts into two of these (parts 0 and 1). */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, S.vectorShape());

    public final int[] ids;
    public final float[] logits;
    /** Scratch for probabilities, valid only right after {@link #softmax()} and before any reordering. */
    public final float[] probs;
    public int size;
    public boolean sorted;
    private int selected = -1;

    // Scratch for selection, allocated on first use and kept for the next tokens of the request.
    private int[] heap;
    private long[] keys;
    private int[] tmpIds;
    private float[] tmpLogits;
    private boolean[] taken;

    public Candidates(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("candidates need a capacity of at least 1, got " + capacity);
        ids = new int[capacity];
        logits = new float[capacity];
        probs = new float[capacity];
    }

    /** The largest number of candidates (the vocabulary size of the chain that made it). */
    public int capacity() {
        return ids.length;
    }

    /**
     * Resets to all tokens of {@code logits}, in id order.
     *
     * @throws IllegalArgumentException if {@code n} is out of range or a logit is NaN or {@code +inf}
     */
    public Candidates reset(float[] source, int n) {
        if (n < 1 || n > ids.length || n > source.length) {
            throw new IllegalArgumentException("cannot take " + n + " logits (have " + source.length
                    + ", capacity " + ids.length + ")");
        }
        // The max is NaN if any logit is NaN, +inf if any is +inf: one vector pass checks both.
        if (!(Vec.max(source, 0, n) < Float.POSITIVE_INFINITY)) {
            for (int i = 0; i < n; i++) {
                if (!(source[i] < Float.POSITIVE_INFINITY)) {
                    throw new IllegalArgumentException("the logit of token " + i + " is " + source[i]
                            + "; logits must be finite or -inf");
                }
            }
        }
        for (int i = 0; i < n; i++) ids[i] = i;
        System.arraycopy(source, 0, logits, 0, n);
        size = n;
        sorted = false;
        selected = -1;
        return this;
    }

    public void select(int tokenId) {
        selected = tokenId;
    }

    /** The selected token id, or -1. */
    public int selected() {
        return selected;
    }

    /** Index (within the live entries) of the largest logit; ties go to the lowest token id. */
    public int argmax() {
        if (sorted) return 0;
        int best = 0;
        for (int i = 1; i < size; i++) if (better(i, best)) best = i;
        return best;
    }

    /** The largest live logit. */
    public float maxLogit() {
        if (sorted) return logits[0];
        return Vec.max(logits, 0, size);
    }

    /**
     * Fills {@link #probs} with softmax of the live logits (max-subtracted); returns the max logit.
     *
     * @throws IllegalStateException if every live logit is {@code -inf} (every token banned)
     */
    public float softmax() {
        float max = maxLogit();
        double sum = expWeights(max);
        Vec.scale((float) (1.0 / sum), probs, 0, size);
        return max;
    }

    /**
     * Fills {@link #probs} with the unnormalized softmax weights {@code exp(logit - max)} and returns
     * their sum (in double, so that a draw against it is exact to double rounding).
     *
     * @throws IllegalStateException if {@code max} is {@code -inf} (every token banned)
     */
    public double expWeights(float max) {
        requireFinite(max);
        int n = size;
        int i = 0;
        FloatVector vmax = FloatVector.broadcast(S, max);
        // Two double accumulators take the two halves of each float vector: one pass, exact enough
        // that the running sums of a draw agree with the total to double rounding.
        DoubleVector acc0 = DoubleVector.zero(D), acc1 = DoubleVector.zero(D);
        for (; i + L <= n; i += L) {
            FloatVector w = FloatVector.fromArray(S, logits, i).sub(vmax).lanewise(VectorOperators.EXP);
            w.intoArray(probs, i);
            acc0 = acc0.add(w.convertShape(VectorOperators.F2D, D, 0));
            acc1 = acc1.add(w.convertShape(VectorOperators.F2D, D, 1));
        }
        double sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float w = (float) Math.exp(logits[i] - max);
            probs[i] = w;
            sum += w;
        }
        return sum;
    }

    private static void requireFinite(float max) {
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalStateException("every candidate token has probability zero (all were banned or filtered to -inf)");
        }
    }

    /**
     * Position of {@code tokenId} among the live entries, or -1. Constant time while the entries are
     * still in id order (the start of a chain); one scan otherwise.
     */
    public int indexOf(int tokenId) {
        if (tokenId >= 0 && tokenId < size && ids[tokenId] == tokenId) return tokenId;
        for (int i = 0; i < size; i++) if (ids[i] == tokenId) return i;
        return -1;
    }

    /** How many live entries have a logit of at least {@code minLogit}. */
    public int countAtLeast(float minLogit) {
        int n = 0;
        for (int i = 0; i < size; i++) if (logits[i] >= minLogit) n++;
        return n;
    }

    /** Keeps the live entries whose logit is at least {@code minLogit}, in their order. */
    public void keepAtLeast(float minLogit) {
        if (sorted) {
            int n = 0;
            while (n < size && logits[n] >= minLogit) n++;
            size = n;
            return;
        }
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (logits[i] >= minLogit) {
                ids[n] = ids[i];
                logits[n] = logits[i];
                n++;
            }
        }
        size = n;
    }

    /** Sorts the live entries by descending logit (ties by ascending id). */
    public void sortDescending() {
        if (sorted) return;
        Arrays.sort(packKeys(), 0, size);
        unpack(size);
        sorted = true;
    }

    /**
     * Keeps only the {@code k} best entries, sorted descending; {@code k ≥ size} keeps all and sorts them.
     *
     * @throws IllegalArgumentException if {@code k < 1}
     */
    public void keepTop(int k) {
        if (k < 1) throw new IllegalArgumentException("keepTop needs k >= 1, got " + k);
        if (k >= size) {
            sortDescending();
            return;
        }
        if (!sorted) {
            if (k <= HEAP_LIMIT) {
                int m = heapSelect(k);
                gatherFront(m);
            } else {
                quickSelect(k);
                unpack(k);
            }
        }
        size = k;
        sorted = true;
    }

    /**
     * Moves the {@code m} best entries to the front in descending order; the others follow in no
     * particular order and stay alive. {@link #sorted} becomes true only when {@code m ≥ size}.
     */
    public void sortTop(int m) {
        if (m < 1) throw new IllegalArgumentException("sortTop needs m >= 1, got " + m);
        if (sorted) return;
        if (m >= size) {
            sortDescending();
            return;
        }
        if (m <= HEAP_LIMIT) {
            int found = heapSelect(m);
            if (taken == null) taken = new boolean[ids.length];
            for (int j = 0; j < found; j++) taken[heap[j]] = true;
            int n = found;
            for (int i = 0; i < size; i++) {
                if (taken[i]) {
                    taken[i] = false;
                } else {
                    tmpIds[n] = ids[i];
                    tmpLogits[n] = logits[i];
                    n++;
                }
            }
            System.arraycopy(tmpIds, 0, ids, 0, size);
            System.arraycopy(tmpLogits, 0, logits, 0, size);
        } else {
            quickSelect(m);
            unpack(size);
        }
    }

    // --- selection internals ---

    /** Whether the entry at position {@code a} ranks before the one at {@code b}. */
    private boolean better(int a, int b) {
        float la = logits[a], lb = logits[b];
        return la > lb || la == lb && ids[a] < ids[b];
    }

    /**
     * Finds the positions of the {@code k} best entries with a heap whose root is the worst kept;
     * leaves them in {@code heap[0..k)} best first and copies their data into the tmp arrays.
     */
    private int heapSelect(int k) {
        if (heap == null || heap.length < k) heap = new int[Math.max(k, 64)];
        ensureTmp();
        int[] h = heap;
        int n = 0;
        int i = 0;
        for (; n < k; i++) {
            h[n] = i;
            siftUp(h, n);
            n++;
        }
        float worst = logits[h[0]];
        // Once the heap holds good entries almost nothing beats the worst kept: test a vector of
        // logits at a time and look at single entries only where one might.
        int vectorEnd = i + (size - i) / L * L;
        for (; i < vectorEnd; i += L) {
            if (FloatVector.fromArray(S, logits, i).compare(VectorOperators.GE, worst).anyTrue()) {
                for (int t = i; t < i + L; t++) {
                    if (logits[t] >= worst && better(t, h[0])) {
                        h[0] = t;
                        siftDown(h, 0, k);
                        worst = logits[h[0]];
                    }
                }
            }
        }
        for (; i < size; i++) {
            if (logits[i] >= worst && better(i, h[0])) {
                h[0] = i;
                siftDown(h, 0, k);
                worst = logits[h[0]];
            }
        }
        // Heap sort in place: repeatedly move the worst to the end, so h[0] ends up the best.
        for (int end = n - 1; end > 0; end--) {
            int t = h[0];
            h[0] = h[end];
            h[end] = t;
            siftDown(h, 0, end);
        }
        for (int j = 0; j < n; j++) {
            tmpIds[j] = ids[h[j]];
            tmpLogits[j] = logits[h[j]];
        }
        return n;
    }

    private void gatherFront(int m) {
        System.arraycopy(tmpIds, 0, ids, 0, m);
        System.arraycopy(tmpLogits, 0, logits, 0, m);
    }

    // The heap orders positions so that the root is the worst ("largest" in ranking order).
    private void siftUp(int[] h, int i) {
        int x = h[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!better(h[parent], x)) break;
            h[i] = h[parent];
            i = parent;
        }
        h[i] = x;
    }

    private void siftDown(int[] h, int i, int n) {
        int x = h[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && better(h[child], h[child + 1])) child++;
            if (!better(x, h[child])) break;
            h[i] = h[child];
            i = child;
        }
        h[i] = x;
    }

    /** Packs the live entries into sortable keys and puts the {@code k} smallest (best) first, sorted. */
    private void quickSelect(int k) {
        long[] a = packKeys();
        int lo = 0, hi = size - 1;
        int depth = depthLimit();
        while (hi > lo) {
            if (depth-- == 0) {
                // Pathological pivots: finish with a sort of what is left (introselect).
                Arrays.sort(a, lo, hi + 1);
                break;
            }
            partition(a, null, lo, hi);
            if (k - 1 <= partLeft) hi = partLeft;
            else if (k - 1 >= partRight) lo = partRight;
            else break;
        }
        Arrays.sort(a, 0, k);
    }

    /**
     * Keeps the smallest set of best entries whose softmax probabilities (over the live entries)
     * add up to at least {@code p}, and at least {@code minKeep} entries: nucleus (top-p) sampling.
     * If rounding keeps the total just below {@code p}, keeps everything. Sorted input is cut after
     * one walk; otherwise the best 256 are tried first (a heap), then a quickselect weighted by
     * probability finds the cut in expected linear time and leaves the kept entries unsorted.
     */
    public void keepNucleus(double p, int minKeep) {
        if (size <= 1) return;
        if (!sorted && size <= NUCLEUS_FIRST_TRY) sortDescending();
        double sum = expWeights(maxLogit());
        double target = p * sum;
        if (sorted) {
            double cumulative = 0;
            for (int i = 0; i < size; i++) {
                cumulative += probs[i];
                if (cumulative >= target && i + 1 >= minKeep) {
                    size = i + 1;
                    return;
                }
            }
            return;
        }
        int found = heapSelect(NUCLEUS_FIRST_TRY);
        double cumulative = 0;
        for (int j = 0; j < found; j++) {
            cumulative += probs[heap[j]];
            if (cumulative >= target && j + 1 >= minKeep) {
                gatherFront(j + 1);
                size = j + 1;
                sorted = true;
                return;
            }
        }
        int k = weightedCut(target);
        if (k < minKeep) {
            keepTop(minKeep);
        } else if (k < size) {
            unpack(k);
            size = k;
        }
    }

    private static final int NUCLEUS_FIRST_TRY = 256;

    /**
     * The smallest {@code k} such that the {@code k} best entries weigh at least {@code target} (weights
     * in {@link #probs}); {@code size} if none does. Leaves those {@code k} first in {@link #keys}.
     */
    private int weightedCut(double target) {
        long[] a = packKeys();
        float[] w = probs; // permuted along with the keys
        int lo = 0, hi = size - 1;
        double before = 0; // weight of keys[0..lo), all of which are kept
        int depth = depthLimit();
        while (lo < hi) {
            if (depth-- == 0) {
                // Pathological pivots: sort what is left and walk it.
                Arrays.sort(a, lo, hi + 1);
                float max = maxLogit();
                for (int i = lo; i <= hi; i++) {
                    before += Math.exp(unorder(~(int) (a[i] >> 32)) - max);
                    if (before >= target) return i + 1;
                }
                return size;
            }
            partition(a, w, lo, hi);
            int j = partLeft, i = partRight;
            double left = 0;
            for (int t = lo; t <= j; t++) left += w[t];
            if (before + left >= target) {
                hi = j;
                continue;
            }
            before += left;
            if (j + 1 < i) { // the pivot sits alone between the two sides
                before += w[j + 1];
                if (before >= target) return j + 2;
            }
            lo = i;
        }
        if (lo == hi && before + w[lo] >= target) return lo + 1;
        return size;
    }

    // Results of partition: keys[lo..partLeft] < pivot, keys[partRight..hi] > pivot, anything between equals it.
    private int partLeft, partRight;

    /** Hoare partition of {@code a[lo..hi]} around the median of three; permutes {@code w} alongside if given. */
    private void partition(long[] a, float[] w, int lo, int hi) {
        int mid = (lo + hi) >>> 1;
        if (a[mid] < a[lo]) swap(a, w, mid, lo);
        if (a[hi] < a[lo]) swap(a, w, hi, lo);
        if (a[hi] < a[mid]) swap(a, w, hi, mid);
        long pivot = a[mid];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                swap(a, w, i, j);
                i++;
                j--;
            }
        }
        partLeft = j;
        partRight = i;
    }

    private int depthLimit() {
        return 2 * (32 - Integer.numberOfLeadingZeros(size));
    }

    private long[] packKeys() {
        ensureKeys();
        for (int i = 0; i < size; i++) keys[i] = key(logits[i], ids[i]);
        return keys;
    }

    private static void swap(long[] a, float[] w, int i, int j) {
        long t = a[i];
        a[i] = a[j];
        a[j] = t;
        if (w != null) {
            float u = w[i];
            w[i] = w[j];
            w[j] = u;
        }
    }

    /** Writes the first {@code n} keys back into ids and logits. */
    private void unpack(int n) {
        long[] a = keys;
        for (int i = 0; i < n; i++) {
            ids[i] = (int) a[i];
            logits[i] = unorder(~(int) (a[i] >> 32));
        }
    }

    /**
     * A long whose ascending order is descending logit, then ascending id. The logit goes through an
     * order-preserving map to int; {@code -0.0} is folded into {@code 0.0} so that equal logits tie.
     */
    static long key(float logit, int id) {
        int bits = Float.floatToRawIntBits(logit + 0.0f);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ~ordered << 32) | (id & 0xffffffffL);
    }

    private static float unorder(int ordered) {
        return Float.intBitsToFloat(ordered ^ ((ordered >> 31) & 0x7fffffff));
    }

    private void ensureKeys() {
        if (keys == null) keys = new long[ids.length];
    }

    private void ensureTmp() {
        if (tmpIds == null) {
            tmpIds = new int[ids.length];
            tmpLogits = new float[ids.length];
        }
    }
}
