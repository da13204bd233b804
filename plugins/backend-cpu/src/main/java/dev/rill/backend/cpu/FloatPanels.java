package dev.rill.backend.cpu;

import dev.rill.spi.BlockFormats;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.Tensor.DType;
import dev.rill.tensor.Gemm;
import dev.rill.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * A float matrix {@code W (out, in)} of a GGUF file (F32, F16 or BF16) repacked once, at load, into
 * {@link Gemm}'s panel layout, values kept in the file's type: panel {@code p} holds outputs
 * {@code [p·NR, p·NR + NR)} as {@code in × NR} values, the NR weights of input {@code k} side by
 * side (the last panel padded with zero rows).
 *
 * <p>Decode then reads the matrix as one sequential stream: each input's NR weights are two whole
 * vectors multiplied by that input broadcast, with no horizontal sums. Reading the file's rows side
 * by side (8 rows × one {@code x}, {@link F32Tiles}) streamed 18–28 GB/s on one Zen 5 core where
 * this layout streams 34–39 (a scratch harness, stories110M and Llama-3.2-1B shapes). A prompt's
 * products take F32 panels as they are into Gemm's register tiles, and widen a 16-bit panel to
 * floats in one pass with no transposition. The copy replaces the file's pages (handed back to the
 * OS), so the model is not resident twice; it lives on the Java heap (huge pages where the JVM runs
 * with {@code -XX:+UseTransparentHugePages}) and is not made when the heap cannot take it, or with
 * {@code -Drill.residentFloats=false}: the matrix is then read in place.
 */
final class FloatPanels {

    private static final boolean ON = !"false".equals(System.getProperty("rill.residentFloats"));
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** As many shorts as a float vector has lanes: widened to one vector of ints. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int L = F.length();
    /** Outputs per panel: two vectors ({@link Gemm#NR}). */
    static final int NR = Gemm.NR;
    private static final TensorCache<FloatPanels> CACHE = new TensorCache<>();
    /** Stands for "not repacked" in the cache (it holds no nulls). */
    private static final FloatPanels NONE = new FloatPanels(DType.F32, 0, 0);

    final DType type;
    final int rows, cols, panels;
    /** F32 panels, panel {@code p} at {@code p·cols·NR}; null for the 16-bit types. */
    private final float[] f32;
    /** F16 or BF16 bits, laid out as {@link #f32}; null for F32. */
    private final short[] b16;

    private FloatPanels(DType type, int rows, int cols) {
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        panels = (rows + NR - 1) / NR;
        f32 = type == DType.F32 ? new float[panels * cols * NR] : null;
        b16 = type == DType.F32 ? null : new short[panels * cols * NR];
    }

    /** The panels of {@code t}, made on first use; null where {@code t} is not a float type or is not repacked (read it in place). */
    static FloatPanels of(MappedTensor t) {
        if (!ON || !QuantDot.PREFERRED || (t.type() != DType.F32 && t.type() != DType.F16 && t.type() != DType.BF16)) return null;
        FloatPanels p = CACHE.get(t, FloatPanels::repack);
        return p == NONE ? null : p;
    }

    private static FloatPanels repack(MappedTensor t) {
        long values = (long) (t.rows() + NR - 1) / NR * NR * t.cols();
        long bytes = values * (t.type() == DType.F32 ? 4 : 2);
        Runtime rt = Runtime.getRuntime();
        // Leave a quarter of the heap to everything else (activations, caches, the server).
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()) - rt.maxMemory() / 4;
        if (values > Integer.MAX_VALUE - 16 || bytes > free) return NONE;
        FloatPanels p;
        try {
            p = new FloatPanels(t.type(), t.rows(), t.cols());
        } catch (OutOfMemoryError e) {
            return NONE;
        }
        int in = t.cols(), kb = MatMul.DEQUANTIZED_COLUMNS;
        // A slab of columns of the panel's rows at a time, so that the slab being scattered stays in L1.
        Parallel.forRange(p.panels, 1, (p0, p1) -> {
            float[] row = p.f32 != null ? new float[kb] : null;
            short[] bits = p.b16 != null ? new short[kb] : null;
            for (int q = p0; q < p1; q++) {
                for (int k0 = 0; k0 < in; k0 += kb) {
                    int kc = Math.min(kb, in - k0), base = (q * in + k0) * NR;
                    for (int r = 0; r < NR && q * NR + r < t.rows(); r++) {
                        long off = t.rowOffset(q * NR + r) + (long) k0 * (row != null ? 4 : 2);
                        if (row != null) {
                            MemorySegment.copy(t.data(), BlockFormats.F32, off, row, 0, kc);
                            for (int k = 0; k < kc; k++) p.f32[base + k * NR + r] = row[k];
                        } else {
                            MemorySegment.copy(t.data(), BlockFormats.I16, off, bits, 0, kc);
                            for (int k = 0; k < kc; k++) p.b16[base + k * NR + r] = bits[k];
                        }
                    }
                }
            }
        });
        if (t.data().isMapped()) t.data().unload();
        return p;
    }

    /** {@code y (M, rows) = x (M, cols) · Wᵀ}. */
    void multiply(float[] x, int M, float[] y) {
        int in = cols, out = rows;
        if (M == 1) {
            // F16 takes the activations scaled (see row16): one vector operation fewer per weight.
            float[] xs = type == DType.F16 ? QuantDot.scaled(x, 0, in) : x;
            Parallel.forRange(panels, 1, (p0, p1) -> {
                float[] tile = out % NR == 0 ? null : new float[NR];
                for (int p = p0; p < p1; p++) {
                    int nr = Math.min(NR, out - p * NR);
                    float[] to = nr == NR ? y : tile;
                    int at = nr == NR ? p * NR : 0;
                    if (f32 != null) row32(x, p, to, at);
                    else row16(xs, p, to, at);
                    if (to == tile) System.arraycopy(tile, 0, y, p * NR, nr);
                }
            });
            return;
        }
        float[] xp = Gemm.packedRows(x, M, in);
        Parallel.forRange(panels, 1, (p0, p1) -> {
            float[] tile = new float[Gemm.MR * NR];
            float[] panel = f32 != null ? f32 : Gemm.buffer(MatMul.PANEL_BUFFER, in * NR);
            for (int p = p0; p < p1; p++) {
                int b0 = p * in * NR;
                if (f32 == null) {
                    widen(b0, panel);
                    b0 = 0;
                }
                Gemm.panelTimesRows(xp, M, in, panel, b0, Math.min(NR, out - p * NR), tile, y, p * NR, out);
            }
        });
    }

    /**
     * {@code y[yo .. yo+NR) = x · panel p} for F32: four inputs a step, each one's two weight
     * vectors into accumulators of their own (8 in flight, so the fused multiply-adds never wait on
     * each other and the loads stream).
     */
    private void row32(float[] x, int p, float[] y, int yo) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        float[] w = f32;
        int q = p * cols * NR, k = 0;
        for (; k + 4 <= cols; k += 4, q += 4 * NR) {
            FloatVector a = FloatVector.broadcast(F, x[k]), b = FloatVector.broadcast(F, x[k + 1]);
            FloatVector c = FloatVector.broadcast(F, x[k + 2]), d = FloatVector.broadcast(F, x[k + 3]);
            c0 = FloatVector.fromArray(F, w, q).fma(a, c0);
            c1 = FloatVector.fromArray(F, w, q + L).fma(a, c1);
            c2 = FloatVector.fromArray(F, w, q + 2 * L).fma(b, c2);
            c3 = FloatVector.fromArray(F, w, q + 3 * L).fma(b, c3);
            c4 = FloatVector.fromArray(F, w, q + 4 * L).fma(c, c4);
            c5 = FloatVector.fromArray(F, w, q + 5 * L).fma(c, c5);
            c6 = FloatVector.fromArray(F, w, q + 6 * L).fma(d, c6);
            c7 = FloatVector.fromArray(F, w, q + 7 * L).fma(d, c7);
        }
        for (; k < cols; k++, q += NR) {
            FloatVector a = FloatVector.broadcast(F, x[k]);
            c0 = FloatVector.fromArray(F, w, q).fma(a, c0);
            c1 = FloatVector.fromArray(F, w, q + L).fma(a, c1);
        }
        c0.add(c2).add(c4.add(c6)).intoArray(y, yo);
        c1.add(c3).add(c5.add(c7)).intoArray(y, yo + L);
    }

    /**
     * {@link #row32} for F16 and BF16. F16 takes {@code xs = x·}{@link QuantDot#XS} and each half
     * widened without its rebasing multiply ({@link QuantDot#tiny}: 2^−112 times the half), the
     * sums rebased once at the end; BF16 is the upper half of a float and takes {@code x} as it is.
     */
    private void row16(float[] xs, int p, float[] y, int yo) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        short[] w = b16;
        boolean f16 = type == DType.F16;
        int q0 = p * cols * NR, k = 0;
        for (; k + 2 <= cols; k += 2) {
            int q = q0 + k * NR;
            FloatVector a = FloatVector.broadcast(F, xs[k]), b = FloatVector.broadcast(F, xs[k + 1]);
            c0 = widened(w, q, f16).fma(a, c0);
            c1 = widened(w, q + L, f16).fma(a, c1);
            c2 = widened(w, q + 2 * L, f16).fma(b, c2);
            c3 = widened(w, q + 3 * L, f16).fma(b, c3);
        }
        for (; k < cols; k++) {
            int q = q0 + k * NR;
            FloatVector a = FloatVector.broadcast(F, xs[k]);
            c0 = widened(w, q, f16).fma(a, c0);
            c1 = widened(w, q + L, f16).fma(a, c1);
        }
        float rebase = f16 ? 0x1p72f : 1f;
        c0.add(c2).mul(rebase).intoArray(y, yo);
        c1.add(c3).mul(rebase).intoArray(y, yo + L);
    }

    /** L 16-bit values at {@code q} as floats: F16 as 2^−112 times the half ({@link QuantDot#tiny}), BF16 exactly. */
    private static FloatVector widened(short[] w, int q, boolean f16) {
        IntVector h = (IntVector) ShortVector.fromArray(S, w, q).convertShape(VectorOperators.S2I, I, 0);
        return f16 ? h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats()
                : h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The 16-bit panel at {@code b0} as exact floats, into the first cols·NR of {@code panel}. */
    private void widen(int b0, float[] panel) {
        boolean f16 = type == DType.F16;
        for (int i = 0, n = cols * NR; i < n; i += L) {
            FloatVector v = widened(b16, b0 + i, f16);
            (f16 ? v.mul(0x1p112f) : v).intoArray(panel, i);
        }
    }
}
