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
 * <p>Selection never sorts the whole vocabulary unless asked to: {@link #keepTop}, {@link #sortTop}
 * and {@link #keepNucleus} use a bounded heap for small {@code k} and a bucket selection by logit
 * otherwise, so the cost is a few passes over the live entries plus {@code k log k}.
 */
public final class Candidates {

    /** Up to this many, the best entries are found with a heap; beyond it, with a bucket selection. */
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
    private int[] work;
    private double[] bucketWeight;
    private short[] bucketOf;
    private int[] bucketStart;

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
        // The max in one vector pass, then the lowest id holding it (a branch that is rarely taken).
        float max = maxLogit();
        int best = -1;
        for (int i = 0; i < size; i++) {
            if (logits[i] == max && (best < 0 || ids[i] < ids[best])) best = i;
        }
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
        sortFirst(size);
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
                gatherFront(heapSelect(k));
            } else {
                markBest(k, true);
                compactMarked();
                sortFirst(k);
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
        ensureTmp();
        int front = 0, back = m;
        if (m <= HEAP_LIMIT) {
            front = heapSelect(m); // leaves the best m, in order, at the front of tmp
            for (int j = 0; j < m; j++) taken[heap[j]] = true;
        } else {
            markBest(m, true);
        }
        for (int i = 0; i < size; i++) {
            if (taken[i]) {
                taken[i] = false;
                if (m > HEAP_LIMIT) {
                    tmpIds[front] = ids[i];
                    tmpLogits[front] = logits[i];
                    front++;
                }
            } else {
                tmpIds[back] = ids[i];
                tmpLogits[back] = logits[i];
                back++;
            }
        }
        System.arraycopy(tmpIds, 0, ids, 0, size);
        System.arraycopy(tmpLogits, 0, logits, 0, size);
        if (m > HEAP_LIMIT) sortFirst(m);
    }

    /**
     * Keeps the smallest set of best entries whose softmax probabilities (over the live entries)
     * add up to at least {@code p}, and at least {@code minKeep} entries: nucleus (top-p) sampling.
     * If rounding keeps the total just below {@code p}, keeps everything. Sorted input is cut after
     * one walk; otherwise the best 256 are tried first (a heap, usually enough for a language
     * model's peaked distribution), then a bucket selection finds the cut in a few linear passes
     * and leaves the kept entries unsorted.
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
        int k = markBest(target, false);
        if (k < 0) return; // the total fell short of p by rounding: keep everything
        if (k < minKeep) {
            for (int i = 0; i < size; i++) taken[i] = false;
            keepTop(minKeep);
        } else {
            compactMarked();
            size = k;
        }
    }

    private static final int NUCLEUS_FIRST_TRY = 256;

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
        sortHeapBestFirst(h, n);
        for (int j = 0; j < n; j++) {
            tmpIds[j] = ids[h[j]];
            tmpLogits[j] = logits[h[j]];
        }
        return n;
    }

    /** Heap sort of a heap (root = worst): repeatedly moves the worst to the end, so h[0] ends up the best. */
    private void sortHeapBestFirst(int[] h, int n) {
        for (int end = n - 1; end > 0; end--) {
            int t = h[0];
            h[0] = h[end];
            h[end] = t;
            siftDown(h, 0, end);
        }
    }

    private static final int BUCKETS = 2048;
    /** Below this many, the entries of a bucket are sorted instead of split again. */
    private static final int SMALL_BUCKET = 64;

    /**
     * Marks in {@code taken} the shortest prefix of the best entries (in ranking order) whose weights
     * add up to at least {@code target}: weights are {@link #probs}, or 1 each when {@code counting}.
     * Returns the prefix length, or -1 (nothing marked) if all weights together fall short.
     *
     * <p>A few linear passes, no sort of the whole: spread the entries over buckets of equal logit
     * width, mark every bucket before the one where the running weight crosses the target, then do
     * the same inside that bucket, until it is small enough (or all equal) to sort. Bucket 0 holds
     * the largest logits; {@code -inf} lands in the last.
     */
    private int markBest(double target, boolean counting) {
        ensureTmp();
        if (bucketWeight == null) {
            bucketWeight = new double[BUCKETS];
            work = new int[ids.length];
            bucketOf = new short[ids.length];
        }
        int[] cur = work;
        int m = size;
        boolean all = true; // first level: cur is the identity, so index directly
        float hi = maxLogit();
        float lo = minFiniteLogit();
        double before = 0;
        int marked = 0;
        double[] w = bucketWeight;
        short[] of = bucketOf;
        while (m > SMALL_BUCKET && hi > lo) {
            // Float arithmetic is monotone, so a larger logit never lands in a later bucket.
            float scale = (float) (BUCKETS / ((double) hi - lo));
            Arrays.fill(w, 0);
            for (int j = 0; j < m; j++) {
                int p = all ? j : cur[j];
                int b = (int) Math.min(BUCKETS - 1, (hi - logits[p]) * scale);
                of[j] = (short) b;
                w[b] += counting ? 1 : probs[p];
            }
            int crossing = -1;
            for (int b = 0; b < BUCKETS; b++) {
                if (before + w[b] >= target) {
                    crossing = b;
                    break;
                }
                before += w[b];
            }
            if (crossing < 0) return unmarkAll();
            int next = 0;
            float nextHi = Float.NEGATIVE_INFINITY, nextLo = Float.POSITIVE_INFINITY;
            for (int j = 0; j < m; j++) {
                int b = of[j];
                if (b < crossing) {
                    taken[all ? j : cur[j]] = true;
                    marked++;
                } else if (b == crossing) {
                    int p = all ? j : cur[j];
                    cur[next++] = p;
                    float x = logits[p];
                    nextHi = Math.max(nextHi, x);
                    if (x != Float.NEGATIVE_INFINITY) nextLo = Math.min(nextLo, x);
                }
            }
            all = false;
            m = next;
            hi = nextHi;
            lo = nextLo;
        }
        if (all) for (int i = 0; i < m; i++) cur[i] = i;
        // Few entries left, or all with one logit: rank them exactly (ties by id) and walk.
        for (int i = (m >>> 1) - 1; i >= 0; i--) siftDown(cur, i, m);
        sortHeapBestFirst(cur, m);
        for (int j = 0; j < m; j++) {
            int p = cur[j];
            taken[p] = true;
            marked++;
            before += counting ? 1 : probs[p];
            if (before >= target) return marked;
        }
        return unmarkAll();
    }

    private float minFiniteLogit() {
        float min = Float.POSITIVE_INFINITY;
        for (int i = 0; i < size; i++) if (logits[i] != Float.NEGATIVE_INFINITY) min = Math.min(min, logits[i]);
        return min;
    }

    private int unmarkAll() {
        Arrays.fill(taken, 0, size, false);
        return -1;
    }

    /** Keeps the marked entries, in their order, and clears the marks; returns how many. */
    private int compactMarked() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (taken[i]) {
                taken[i] = false;
                ids[n] = ids[i];
                logits[n] = logits[i];
                n++;
            }
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

    /** Packs the first {@code n} live entries into sortable keys. */
    private long[] packKeys(int n) {
        ensureKeys();
        for (int i = 0; i < n; i++) keys[i] = key(logits[i], ids[i]);
        return keys;
    }

    /** Below this many entries a plain sort of the keys; above, a bucket sort by logit first. */
    private static final int BUCKET_SORT_MIN = 2048;

    /**
     * Sorts the first {@code n} live entries by descending logit, ties by id. Large inputs are spread
     * over about {@code n/8} buckets of equal logit width (a counting pass and a scatter), and only
     * each bucket is sorted, which avoids most of the mispredicted branches of one big sort.
     */
    private void sortFirst(int n) {
        float hi = Float.NEGATIVE_INFINITY, lo = Float.POSITIVE_INFINITY;
        if (n >= BUCKET_SORT_MIN) {
            for (int i = 0; i < n; i++) {
                float x = logits[i];
                hi = Math.max(hi, x);
                if (x != Float.NEGATIVE_INFINITY) lo = Math.min(lo, x);
            }
        }
        if (!(hi > lo)) { // small, or all logits equal: one sort
            Arrays.sort(packKeys(n), 0, n);
            unpack(n);
            return;
        }
        ensureKeys();
        int nb = n >>> 3;
        if (work == null) work = new int[ids.length];
        if (bucketStart == null || bucketStart.length < nb + 1) bucketStart = new int[(ids.length >>> 3) + 1];
        int[] of = work, start = bucketStart;
        Arrays.fill(start, 0, nb + 1, 0);
        float scale = (float) (nb / ((double) hi - lo));
        for (int i = 0; i < n; i++) {
            int b = (int) Math.min(nb - 1, (hi - logits[i]) * scale); // monotone: larger logit, earlier bucket
            of[i] = b;
            start[b + 1]++;
        }
        for (int b = 0; b < nb; b++) start[b + 1] += start[b];
        for (int i = 0; i < n; i++) keys[start[of[i]]++] = key(logits[i], ids[i]);
        // start[b] now holds the end of bucket b, which is where bucket b + 1 begins.
        int from = 0;
        for (int b = 0; b < nb; b++) {
            int to = start[b];
            if (to - from > 1) Arrays.sort(keys, from, to);
            from = to;
        }
        unpack(n);
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
            taken = new boolean[ids.length];
        }
    }
}
