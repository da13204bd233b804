package dev.rill.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Gemm against a plain triple loop in double precision, over shapes that hit every tail path of the strided and the packed kernels, serial and parallel. */
class GemmTest {

    @ParameterizedTest
    @CsvSource({"1,1,1", "3,5,7", "4,16,8", "7,33,300", "64,65,128", "130,40,513", "1,1537,384", "9,17,1", "33,31,257", "32,16,16", "203,100,300", "31,40,40", "32,2048,2100", "515,33,40"})
    void matchesNaiveProductForAllLayouts(int M, int N, int K) {
        SplittableRandom r = new SplittableRandom(M * 31L + N * 7L + K);
        float[] a = random(r, M * K + 5), b = random(r, K * (N + 3) + 2), c0 = random(r, M * (N + 1) + 3);
        // A·B with B's rows wider than N (ldb = N+3), C with ldc = N+1, offsets.
        float[] c = c0.clone();
        Gemm.gemm(M, N, K, a, 5, K, 1, b, 2, N + 3, c, 3, N + 1, true);
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                double s = c0[3 + i * (N + 1) + j];
                for (int k = 0; k < K; k++) s += (double) a[5 + i * K + k] * b[2 + k * (N + 3) + j];
                assertEquals(s, c[3 + i * (N + 1) + j], 1e-4 * Math.max(1, Math.abs(s)), "A·B at " + i + "," + j);
            }
        }
        // Aᵀ·B: A stored (K, M + 2) from offset 1 (a block of columns of a wider matrix, as attention's key blocks).
        float[] at = random(r, K * (M + 2) + 1);
        float[] d = new float[M * N];
        Gemm.gemm(M, N, K, at, 1, 1, M + 2, b, 2, N + 3, d, 0, N, false);
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < K; k++) s += (double) at[1 + k * (M + 2) + i] * b[2 + k * (N + 3) + j];
                assertEquals(s, d[i * N + j], 1e-4 * Math.max(1, Math.abs(s)), "Aᵀ·B at " + i + "," + j);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1,1", "3,70", "65,128", "33,33"})
    void transposeSwapsRowsAndColumns(int rows, int cols) {
        SplittableRandom r = new SplittableRandom(rows * 100L + cols);
        float[] src = random(r, rows * (cols + 2));
        float[] dst = new float[rows * cols];
        Gemm.transpose(src, 0, rows, cols, cols + 2, dst, 0);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) assertEquals(src[i * (cols + 2) + j], dst[j * rows + i]);
    }

    static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
