package dev.rill.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix multiplication {@code C[M,N] (+)= A[M,K] · B[K,N]} on float32, the kernel every linear
 * layer (forward and backward) runs on. {@code B} and {@code C} are row-major; {@code A} is read
 * through strides, so the same code computes {@code A·B} ({@code aRs = lda, aCs = 1}) and
 * {@code Aᵀ·B} ({@code aRs = 1, aCs = lda}). {@code A·Bᵀ} is {@link #transpose} then {@code A·B}.
 *
 * <p>Register-blocked: a 4-row × 2-vector tile of C stays in registers while K streams through
 * (broadcast one A element, load one B vector, fused multiply-add), and K is cut into blocks so
 * the B panel under the tile stays in L1. Rows are spread across cores. From
 * {@link #PACK_MIN_ROWS} rows on, B is first copied into panels the tile walks with a constant
 * stride ({@link #packed}); fewer rows read both operands through their strides.
 */
public final class Gemm {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Rows and columns of a register tile. */
    public static final int MR = 4;
    public static final int NR = 2 * L;
    private static final int KC = 256;
    private static final int MC = 64;
    /** Rows of C per block when A is read transposed (a weight gradient: C is the weight's shape). */
    private static final int MC_T = 512;
    /** Multiply-adds below which a product runs on the calling thread alone. */
    static final long PARALLEL_WORK = 1 << 18;

    private Gemm() {
    }

    /**
     * {@code C = A·B} (or {@code C += A·B} when {@code accumulate}).
     *
     * @param aRs stride between rows of A (element (i,k) at {@code aOff + i*aRs + k*aCs})
     * @param aCs stride between columns of A
     */
    public static void gemm(int M, int N, int K, float[] A, int aOff, int aRs, int aCs,
                            float[] B, int bOff, int ldb, float[] C, int cOff, int ldc, boolean accumulate) {
        if (M == 0 || N == 0) return;
        if (K == 0) {
            if (!accumulate) for (int i = 0; i < M; i++) java.util.Arrays.fill(C, cOff + i * ldc, cOff + i * ldc + N, 0f);
            return;
        }
        long work = (long) M * N * K;
        if (M >= PACK_MIN_ROWS && N >= PACK_MIN && K >= PACK_MIN) {
            packed(M, N, K, A, aOff, aRs, aCs, B, bOff, ldb, C, cOff, ldc, accumulate, work >= PARALLEL_WORK);
            return;
        }
        // Below ~20 µs of work, handing pieces to other cores costs more than it saves.
        if (work < PARALLEL_WORK || Parallel.threads() == 1) {
            block(0, M, 0, N, K, A, aOff, aRs, aCs, B, bOff, ldb, C, cOff, ldc, accumulate);
        } else if (M >= 4 * MR * Parallel.threads()) {
            // Enough rows: each task takes whole row blocks, all columns.
            int rowBlocks = (M + MR - 1) / MR;
            int grain = Math.max(1, Math.min(MC / MR, rowBlocks / (Parallel.threads() * 4)));
            Parallel.forRange(rowBlocks, grain, (b0, b1) ->
                    block(b0 * MR, Math.min(M, b1 * MR), 0, N, K, A, aOff, aRs, aCs, B, bOff, ldb, C, cOff, ldc, accumulate));
        } else {
            // Few rows (decode): split the columns instead.
            int panels = (N + NR - 1) / NR;
            Parallel.forRange(panels, 1, (p0, p1) ->
                    block(0, M, p0 * NR, Math.min(N, p1 * NR), K, A, aOff, aRs, aCs, B, bOff, ldb, C, cOff, ldc, accumulate));
        }
    }

    /**
     * Rows from which {@link #packed} pays for copying B (each copied element then serves at least
     * this many rows), measured on one core: 16 rows 20 GFLOP/s packed against 28 strided, 32 rows
     * 26 against 25, 128 rows 31 against 25. Columns and depth need only fill a tile.
     */
    static final int PACK_MIN_ROWS = 32, PACK_MIN = 16;
    /** B is packed at most this many floats at a time (or {@link #KC} rows). */
    private static final int KEEP_MAX = 1 << 22;

    /**
     * Large products, B packed. B is copied once into panels of {@code NR} columns,
     * each column-block contiguous ({@code bp[p·K·NR + k·NR + c]}, missing columns zero); each
     * task walks its rows {@code MC} at a time (a weight gradient's {@code MC_T}) and K a block of
     * {@code KC} at a time, each B panel block serving every row of the block, and reads A in place,
     * {@code MR} rows at a time. With B packed the tile's B index moves by a constant, which lets
     * the compiler check its indices once per loop instead of once per load: about 1.4× the speed
     * of the strided tile, measured on one core.
     */
    private static void packed(int M, int N, int K, float[] A, int aOff, int aRs, int aCs,
                               float[] B, int bOff, int ldb, float[] C, int cOff, int ldc, boolean accumulate, boolean parallel) {
        int panels = (N + NR - 1) / NR;
        // B is copied a slab of its rows (depth k) at a time, the copy at most KEEP_MAX floats (or
        // KC rows): a whole deep B — a weight gradient summed over a training batch, 16,384 rows
        // deep — was a 100 MB copy per call, garbage that grew the heap to several GB.
        // A B that fits is one slab: each further slab is another pass over all of C (a 384-deep B had
        // been cut 256 + 128, and M's forward products ran at 82–88 GFLOP/s against 101–105 at 512 deep).
        int fit = KEEP_MAX / (panels * NR);
        int slab = K <= fit ? K : Math.max(KC, fit / KC * KC);
        for (int s0 = 0; s0 < K; s0 += slab) {
            packedSlab(M, N, Math.min(slab, K - s0), A, aOff + s0 * aCs, aRs, aCs, B, bOff + s0 * ldb, ldb, C, cOff, ldc,
                    accumulate || s0 > 0, parallel, panels);
        }
    }

    private static void packedSlab(int M, int N, int K, float[] A, int aOff, int aRs, int aCs, float[] B, int bOff, int ldb,
                                   float[] C, int cOff, int ldc, boolean accumulate, boolean parallel, int panels) {
        float[] bp = buffer(B_PACK, panels * K * NR);
        Parallel.RangeBody packB = (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int j = p * NR, nr = Math.min(NR, N - j), base = p * K * NR;
                if (nr == NR) {
                    // Two vectors a row: System.arraycopy's call cost as much as the copy for 32 floats.
                    for (int k = 0, b = bOff + j; k < K; k++, b += ldb) {
                        FloatVector.fromArray(S, B, b).intoArray(bp, base + k * NR);
                        FloatVector.fromArray(S, B, b + L).intoArray(bp, base + k * NR + L);
                    }
                } else {
                    for (int k = 0; k < K; k++) System.arraycopy(B, bOff + k * ldb + j, bp, base + k * NR, nr);
                }
            }
        };
        int groups = (M + MR - 1) / MR;
        // A weight gradient's C is a few hundred rows, its B thousands deep: the whole C in one block
        // of rows, so that each B panel fetched from memory serves every row instead of 64.
        int mc = aRs == 1 ? MC_T : MC;
        Parallel.RangeBody rows = (g0, g1) -> {
            float[] ap = buffer(A_PACK, MR * KC + MR * NR);
            int tile0 = MR * KC;
            for (int ib = g0 * MR; ib < Math.min(M, g1 * MR); ib += mc) {
                int ie = Math.min(Math.min(M, g1 * MR), ib + mc);
                for (int k0 = 0; k0 < K; k0 += KC) {
                    int kc = Math.min(KC, K - k0);
                    boolean add = accumulate || k0 > 0;
                    int held = -1;   // the group copied into the buffer, kept across panels
                    for (int p = 0; p < panels; p++) {
                        int j = p * NR, nr = Math.min(NR, N - j), b = p * K * NR + k0 * NR;
                        for (int i = ib; i < ie; i += MR) {
                            // A is read in place, MR rows at a time; a whole tile goes straight to C, a partial one
                            // through the tile buffer (a last group of fewer rows copied into MR rows, zero-padded).
                            int mr = Math.min(MR, ie - i), a = aOff + i * aRs + k0 * aCs, c = cOff + i * ldc + j;
                            boolean whole = mr == MR && nr == NR;
                            float[] out = whole ? C : ap;
                            int o = whole ? c : tile0, ldo = whole ? ldc : NR;
                            if (mr == MR && aRs == 1) tileT(A, a, aCs, kc, bp, b, out, o, ldo, whole && add);
                            else if (mr == MR && aCs == 1) tileR(A, a, aRs, kc, bp, b, out, o, ldo, whole && add);
                            else {
                                if (held != i) packA(A, aOff, aRs, aCs, i, i + mr, k0, kc, ap);
                                held = i;
                                tileT(ap, 0, MR, kc, bp, b, out, o, ldo, whole && add);
                            }
                            if (!whole) store(ap, tile0, mr, nr, C, c, ldc, add);
                        }
                    }
                }
            }
        };
        if (parallel && Parallel.threads() > 1) {
            Parallel.forRange(panels, 1, packB);
            // Few, large row ranges: each task copies every panel of B it reads through once.
            Parallel.forRange(groups, Math.max(MC / MR, groups / (2 * Parallel.threads())), rows);
        } else {
            packB.run(0, panels);
            rows.run(0, groups);
        }
    }

    /** Each thread's packing buffers, kept between calls: training multiplies thousands of times per step. */
    private static final ThreadLocal<float[][]> B_PACK = ThreadLocal.withInitial(() -> new float[1][0]);
    private static final ThreadLocal<float[][]> A_PACK = ThreadLocal.withInitial(() -> new float[1][0]);
    private static final ThreadLocal<float[][]> X_PACK = ThreadLocal.withInitial(() -> new float[1][0]);

    /** A thread's buffer of at least {@code n} floats, kept for the next call. */
    public static float[] buffer(ThreadLocal<float[][]> slot, int n) {
        float[][] held = slot.get();
        if (held[0].length >= n) return held[0];
        return held[0] = new float[n];
    }

    /** Rows {@code [i0, i1)} of A, columns {@code [k0, k0+kc)}, into {@link #MR}-row groups interleaved by k; missing rows zero. */
    public static void packA(float[] A, int aOff, int aRs, int aCs, int i0, int i1, int k0, int kc, float[] ap) {
        int full = 0;
        if (aCs == 1) {
            // A's rows lie along k: MR rows of L values each are interleaved by two rounds of
            // two-vector permutes (row pairs, then pairs of pairs), 8 permutes per MR·L values
            // instead of a scalar load and store per value (64 rows × 256: 0.30–0.40 → 0.13–0.17 ns a value).
            full = (i1 - i0) / MR * MR;
            int kv = kc / L * L;
            for (int i = i0; i < i0 + full; i += MR) {
                int g = (i - i0) * kc, a = aOff + i * aRs + k0;
                for (int k = 0; k < kv; k += L) {
                    FloatVector r0 = FloatVector.fromArray(S, A, a + k), r1 = FloatVector.fromArray(S, A, a + aRs + k);
                    FloatVector r2 = FloatVector.fromArray(S, A, a + 2 * aRs + k), r3 = FloatVector.fromArray(S, A, a + 3 * aRs + k);
                    FloatVector lo01 = ZIP1_LO.selectFrom(r0, r1), hi01 = ZIP1_HI.selectFrom(r0, r1);
                    FloatVector lo23 = ZIP1_LO.selectFrom(r2, r3), hi23 = ZIP1_HI.selectFrom(r2, r3);
                    int o = g + MR * k;
                    ZIP2_LO.selectFrom(lo01, lo23).intoArray(ap, o);
                    ZIP2_HI.selectFrom(lo01, lo23).intoArray(ap, o + L);
                    ZIP2_LO.selectFrom(hi01, hi23).intoArray(ap, o + 2 * L);
                    ZIP2_HI.selectFrom(hi01, hi23).intoArray(ap, o + 3 * L);
                }
                for (int k = kv; k < kc; k++) {
                    for (int r = 0; r < MR; r++) ap[g + MR * k + r] = A[a + r * aRs + k];
                }
            }
        }
        for (int i = i0 + full; i < i1 + (MR - (i1 - i0) % MR) % MR; i++) {
            int g = (i - i0) / MR * MR * kc + (i - i0) % MR;
            if (i >= i1) {
                for (int k = 0; k < kc; k++) ap[g + MR * k] = 0f;
                continue;
            }
            int a = aOff + i * aRs + k0 * aCs;
            for (int k = 0; k < kc; k++, a += aCs) ap[g + MR * k] = A[a];
        }
    }

    /** Lane indices of the interleaving permutes in {@link #packA}: lanes from two vectors (second at +L) taken alternately, one or two at a time. */
    private static final FloatVector ZIP1_LO = zip(1, 0), ZIP1_HI = zip(1, L / 2), ZIP2_LO = zip(2, 0), ZIP2_HI = zip(2, L / 2);

    private static FloatVector zip(int run, int from) {
        float[] idx = new float[L];
        for (int i = 0; i < L; i++) idx[i] = (i / run) % 2 * L + from + i / (2 * run) * run + i % run;
        return FloatVector.fromArray(S, idx, 0);
    }

    // The tiles below broadcast A's values straight from A, not from a copy in MR-row groups: JFR put
    // the copy at 10–13 % of a config-S step, but reading in place gained less than that (M's layers
    // 2–4 % in a harness of its forward and backward products, S level within the noise), the copy's
    // cost partly hidden behind the tile's own reads. Each walks A with its own index form: one tile
    // written for any strides ran at 73–93 GFLOP/s on S's shapes where these run at 103–114.

    /**
     * {@code C (MR × NR at c, row stride ldc) (+)= A (MR × kc) · bp panel (kc × NR)}, added to what is
     * there when {@code add}, A's MR values at each k side by side from {@code a}, {@code lda} apart
     * (Aᵀ, or a packed group with {@code lda = MR}).
     */
    static void tileT(float[] A, int a, int lda, int kc, float[] bp, int b0, float[] C, int c, int ldc, boolean add) {
        FloatVector x00 = FloatVector.zero(S), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00;
        for (int k = 0; k < kc; k++, a += lda) {
            int b = b0 + NR * k;
            FloatVector b0v = FloatVector.fromArray(S, bp, b), b1v = FloatVector.fromArray(S, bp, b + L);
            FloatVector av = FloatVector.broadcast(S, A[a]);
            x00 = av.fma(b0v, x00); x01 = av.fma(b1v, x01);
            av = FloatVector.broadcast(S, A[a + 1]);
            x10 = av.fma(b0v, x10); x11 = av.fma(b1v, x11);
            av = FloatVector.broadcast(S, A[a + 2]);
            x20 = av.fma(b0v, x20); x21 = av.fma(b1v, x21);
            av = FloatVector.broadcast(S, A[a + 3]);
            x30 = av.fma(b0v, x30); x31 = av.fma(b1v, x31);
        }
        storeTile(x00, x01, x10, x11, x20, x21, x30, x31, C, c, ldc, add);
    }

    /** As {@link #tileT} with A's MR rows along k from {@code a}, {@code lda} apart. */
    static void tileR(float[] A, int a, int lda, int kc, float[] bp, int b0, float[] C, int c, int ldc, boolean add) {
        FloatVector x00 = FloatVector.zero(S), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00;
        int a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int k = 0; k < kc; k++) {
            int b = b0 + NR * k;
            FloatVector b0v = FloatVector.fromArray(S, bp, b), b1v = FloatVector.fromArray(S, bp, b + L);
            FloatVector av = FloatVector.broadcast(S, A[a + k]);
            x00 = av.fma(b0v, x00); x01 = av.fma(b1v, x01);
            av = FloatVector.broadcast(S, A[a1 + k]);
            x10 = av.fma(b0v, x10); x11 = av.fma(b1v, x11);
            av = FloatVector.broadcast(S, A[a2 + k]);
            x20 = av.fma(b0v, x20); x21 = av.fma(b1v, x21);
            av = FloatVector.broadcast(S, A[a3 + k]);
            x30 = av.fma(b0v, x30); x31 = av.fma(b1v, x31);
        }
        storeTile(x00, x01, x10, x11, x20, x21, x30, x31, C, c, ldc, add);
    }

    /**
     * {@code x (M, in)} packed whole into {@link #packA}'s groups of MR rows (the last padded with
     * zeros), in a buffer the calling thread keeps: valid until its next call. A prompt's products
     * call this per matrix, and a new array each time was a third of what a prompt allocated (the
     * collections it caused stop every thread).
     */
    public static float[] packedRows(float[] x, int M, int in) {
        float[] xp = buffer(X_PACK, (M + MR - 1) / MR * MR * in);
        packA(x, 0, in, 1, 0, M, 0, in, xp);
        return xp;
    }

    /**
     * {@code y[m·ldy + y0 + j] = Σ_k x[m][k]·panel[b0 + k·NR + j]} for all {@code M} rows of
     * {@code xp} ({@link #packedRows}) and the first {@code nr} of the panel's NR columns, through
     * {@code tile} (MR·NR floats of scratch).
     */
    public static void panelTimesRows(float[] xp, int M, int in, float[] panel, int b0, int nr, float[] tile, float[] y, int y0, int ldy) {
        for (int m = 0; m < M; m += MR) {
            packedTile(xp, m * in, in, panel, b0, tile, 0);
            store(tile, 0, Math.min(MR, M - m), nr, y, m * ldy + y0, ldy, false);
        }
    }

    /** {@code tile (MR × NR, at t0) = ap group (MR × kc) · bp panel (kc × NR)}. */
    public static void packedTile(float[] ap, int a0, int kc, float[] bp, int b0, float[] tile, int t0) {
        tileT(ap, a0, MR, kc, bp, b0, tile, t0, NR, false);
    }

    // The block's sum is formed apart and then added to C, not accumulated onto C's values: long
    // products (K in the thousands) keep the precision of sums taken a block at a time.
    private static void storeTile(FloatVector x00, FloatVector x01, FloatVector x10, FloatVector x11,
                                  FloatVector x20, FloatVector x21, FloatVector x30, FloatVector x31,
                                  float[] C, int c, int ldc, boolean add) {
        int c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        if (add) {
            x00 = x00.add(FloatVector.fromArray(S, C, c)); x01 = x01.add(FloatVector.fromArray(S, C, c + L));
            x10 = x10.add(FloatVector.fromArray(S, C, c1)); x11 = x11.add(FloatVector.fromArray(S, C, c1 + L));
            x20 = x20.add(FloatVector.fromArray(S, C, c2)); x21 = x21.add(FloatVector.fromArray(S, C, c2 + L));
            x30 = x30.add(FloatVector.fromArray(S, C, c3)); x31 = x31.add(FloatVector.fromArray(S, C, c3 + L));
        }
        x00.intoArray(C, c); x01.intoArray(C, c + L);
        x10.intoArray(C, c1); x11.intoArray(C, c1 + L);
        x20.intoArray(C, c2); x21.intoArray(C, c2 + L);
        x30.intoArray(C, c3); x31.intoArray(C, c3 + L);
    }

    /** The first {@code mr × nr} of the tile at {@code t0} into C at {@code c} (added to what is there when {@code add}). */
    public static void store(float[] tile, int t0, int mr, int nr, float[] C, int c, int ldc, boolean add) {
        for (int r = 0; r < mr; r++, c += ldc) {
            int t = t0 + r * NR, j = 0;
            if (nr == NR) {
                for (; j < NR; j += L) {
                    FloatVector v = FloatVector.fromArray(S, tile, t + j);
                    (add ? v.add(FloatVector.fromArray(S, C, c + j)) : v).intoArray(C, c + j);
                }
            }
            for (; j < nr; j++) C[c + j] = add ? C[c + j] + tile[t + j] : tile[t + j];
        }
    }

    /** Computes the tile {@code C[i0..i1, j0..j1)} completely. */
    private static void block(int i0, int i1, int j0, int j1, int K, float[] A, int aOff, int aRs, int aCs,
                              float[] B, int bOff, int ldb, float[] C, int cOff, int ldc, boolean accumulate) {
        for (int ib = i0; ib < i1; ib += MC) {
            int ie = Math.min(i1, ib + MC);
            for (int k0 = 0; k0 < K; k0 += KC) {
                int k1 = Math.min(K, k0 + KC);
                boolean add = accumulate || k0 > 0;
                int j = j0;
                for (; j + NR <= j1; j += NR) {
                    int i = ib;
                    for (; i + MR <= ie; i += MR) tile4x2(i, j, k0, k1, A, aOff, aRs, aCs, B, bOff, ldb, C, cOff, ldc, add);
                    for (; i < ie; i++) row1(i, j, NR, k0, k1, A, aOff, aRs, aCs, B, bOff, ldb, C, cOff, ldc, add);
                }
                if (j < j1) {
                    for (int i = ib; i < ie; i++) row1(i, j, j1 - j, k0, k1, A, aOff, aRs, aCs, B, bOff, ldb, C, cOff, ldc, add);
                }
            }
        }
    }

    private static void tile4x2(int i, int j, int k0, int k1, float[] A, int aOff, int aRs, int aCs,
                                float[] B, int bOff, int ldb, float[] C, int cOff, int ldc, boolean add) {
        int c0 = cOff + i * ldc + j, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x00, x01, x10, x11, x20, x21, x30, x31;
        if (add) {
            x00 = FloatVector.fromArray(S, C, c0); x01 = FloatVector.fromArray(S, C, c0 + L);
            x10 = FloatVector.fromArray(S, C, c1); x11 = FloatVector.fromArray(S, C, c1 + L);
            x20 = FloatVector.fromArray(S, C, c2); x21 = FloatVector.fromArray(S, C, c2 + L);
            x30 = FloatVector.fromArray(S, C, c3); x31 = FloatVector.fromArray(S, C, c3 + L);
        } else {
            x00 = x01 = x10 = x11 = x20 = x21 = x30 = x31 = FloatVector.zero(S);
        }
        int a = aOff + i * aRs + k0 * aCs;
        int b = bOff + k0 * ldb + j;
        for (int k = k0; k < k1; k++, a += aCs, b += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, B, b);
            FloatVector b1 = FloatVector.fromArray(S, B, b + L);
            FloatVector av = FloatVector.broadcast(S, A[a]);
            x00 = av.fma(b0, x00); x01 = av.fma(b1, x01);
            av = FloatVector.broadcast(S, A[a + aRs]);
            x10 = av.fma(b0, x10); x11 = av.fma(b1, x11);
            av = FloatVector.broadcast(S, A[a + 2 * aRs]);
            x20 = av.fma(b0, x20); x21 = av.fma(b1, x21);
            av = FloatVector.broadcast(S, A[a + 3 * aRs]);
            x30 = av.fma(b0, x30); x31 = av.fma(b1, x31);
        }
        x00.intoArray(C, c0); x01.intoArray(C, c0 + L);
        x10.intoArray(C, c1); x11.intoArray(C, c1 + L);
        x20.intoArray(C, c2); x21.intoArray(C, c2 + L);
        x30.intoArray(C, c3); x31.intoArray(C, c3 + L);
    }

    /** One row of C, {@code width} columns from {@code j} (any width: vectors, then scalars). */
    private static void row1(int i, int j, int width, int k0, int k1, float[] A, int aOff, int aRs, int aCs,
                             float[] B, int bOff, int ldb, float[] C, int cOff, int ldc, boolean add) {
        int c = cOff + i * ldc + j;
        int aBase = aOff + i * aRs;
        int w = 0;
        for (; w + L <= width; w += L) {
            FloatVector acc = add ? FloatVector.fromArray(S, C, c + w) : FloatVector.zero(S);
            int a = aBase + k0 * aCs, b = bOff + k0 * ldb + j + w;
            for (int k = k0; k < k1; k++, a += aCs, b += ldb) {
                acc = FloatVector.broadcast(S, A[a]).fma(FloatVector.fromArray(S, B, b), acc);
            }
            acc.intoArray(C, c + w);
        }
        for (; w < width; w++) {
            float acc = add ? C[c + w] : 0f;
            int a = aBase + k0 * aCs, b = bOff + k0 * ldb + j + w;
            for (int k = k0; k < k1; k++, a += aCs, b += ldb) acc = Math.fma(A[a], B[b], acc);
            C[c + w] = acc;
        }
    }

    /** {@code dst[c, r] = src[r, c]} for a {@code rows × cols} matrix; {@code dst} is {@code cols × rows}. */
    public static void transpose(float[] src, int srcOff, int rows, int cols, int lds, float[] dst, int dstOff) {
        final int tile = 32;
        Parallel.forRange((cols + tile - 1) / tile, 1, (t0, t1) -> {
            for (int c0 = t0 * tile; c0 < Math.min(cols, t1 * tile); c0 += tile) {
                int c1 = Math.min(cols, c0 + tile);
                for (int r0 = 0; r0 < rows; r0 += tile) {
                    int r1 = Math.min(rows, r0 + tile);
                    for (int c = c0; c < c1; c++) {
                        int d = dstOff + c * rows;
                        for (int r = r0; r < r1; r++) dst[d + r] = src[srcOff + r * lds + c];
                    }
                }
            }
        });
    }
}
