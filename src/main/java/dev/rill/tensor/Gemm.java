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
 * the B panel under the tile stays in L1. Rows are spread across cores.
 */
public final class Gemm {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final int MR = 4;
    private static final int NR = 2 * L;
    private static final int KC = 256;
    private static final int MC = 64;
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

    /** {@code C = A·B} (or {@code +=}) on the calling thread: for callers that already split the work across cores. */
    static void serial(int M, int N, int K, float[] A, int aOff, int aRs, int aCs,
                       float[] B, int bOff, int ldb, float[] C, int cOff, int ldc, boolean accumulate) {
        if (M == 0 || N == 0 || K == 0) return;
        block(0, M, 0, N, K, A, aOff, aRs, aCs, B, bOff, ldb, C, cOff, ldc, accumulate);
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
