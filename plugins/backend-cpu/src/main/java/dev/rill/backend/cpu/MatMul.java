package dev.rill.backend.cpu;

import dev.rill.spi.BlockFormats;
import dev.rill.spi.F32Tensor;
import dev.rill.spi.Linear;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.Tensor;
import dev.rill.tensor.Gemm;
import dev.rill.tensor.Parallel;
import dev.rill.tensor.Vec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x·W + b} for a {@link Linear} of any layout, over {@code M} rows: the one entry point
 * inference uses for every weight matrix, whatever its storage (heap float32, or a
 * {@link MappedTensor} in F32/F16/BF16/Q8_0/Q4_0/Q4_K/Q5_K/Q6_K).
 *
 * <p>Mapped float weights (F32, F16, BF16) are repacked once into Gemm's panel layout
 * ({@link FloatPanels}): decode streams them in order, a prompt multiplies the panels as they are.
 * Quantized weights are repacked for integer kernels ({@link PackedWeights}): decode, and prompts
 * but Q8_0's, quantize the activations to int8 ({@link Int8Activations}) and multiply groups of
 * interleaved rows. What is not repacked (a matrix the heap cannot take, or a type without packed
 * kernels) is read from the file: a few rows (decode) take one {@link QuantDot} per (row, output),
 * F32 below {@link #F32_TILES_MAX_ROWS} rows register tiles read in place ({@link F32Tiles}), and
 * many rows (a prompt) matrix–matrix tiles: each task dequantizes a panel of {@link #PANEL}
 * outputs once into a small float buffer and multiplies every row of {@code x} with it in
 * {@link Gemm}'s packed register tiles ({@code x} packed once per call), so each weight is decoded
 * once per call rather than once per token.
 */
public final class MatMul {

    /** Outputs per dequantized panel: one column panel of {@link Gemm}'s register tile. */
    static final int PANEL = Gemm.NR;
    /** From this many rows on, panels beat per-row dot products. */
    static final int PANEL_MIN_ROWS = 6;
    /**
     * Mapped F32 weights take {@link F32Tiles} (read in place) below this many rows: measured on
     * one core, 21–22 GFLOP/s at 8–16 rows against 10–13 for panels, whose copying only pays off
     * from about 32 rows (29 against 22 GFLOP/s at 128).
     */
    static final int F32_TILES_MAX_ROWS = 32;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Columns of a panel dequantized at a time: a multiple of every block size (256 for the K-quants). */
    static final int DEQUANTIZED_COLUMNS = 256;
    /** F16 rows from this many inputs on take four rows per pass ({@link QuantDot#f16x4Scaled}): their activations (32 KiB) no longer fit L1. */
    static final int WIDE_F16 = 8192;

    /** Each thread's buffer for a panel decoded to floats, kept between calls (a prompt's products decode thousands). */
    static final ThreadLocal<float[][]> PANEL_BUFFER = ThreadLocal.withInitial(() -> new float[1][0]);

    private MatMul() {
    }

    /**
     * Does now what the first {@link #forward} through {@code lin} would otherwise do first: repack
     * quantized weights for the integer kernels, copy float ones into huge pages.
     */
    public static void prepare(Linear lin) {
        if (lin != null && lin.weight() instanceof MappedTensor m) {
            if (PackedWeights.packable(m)) PackedWeights.of(m);
            else if (FloatPanels.of(m) == null) ResidentWeights.of(m);
        }
    }

    /** {@code y (M, out) = x (M, in) · W + b}. */
    public static void forward(Linear lin, float[] x, int M, float[] y) {
        int in = lin.in(), out = lin.out();
        Tensor w = lin.weight();
        if (w instanceof F32Tensor f) {
            if (lin.layout() == Linear.Layout.IN_OUT) {
                Gemm.gemm(M, out, in, x, 0, in, 1, f.data(), f.offset(), f.rowStride(), y, 0, out, false);
            } else {
                outIn(f, x, M, y, in, out);
            }
        } else if (w instanceof MappedTensor mapped) {
            if (lin.layout() != Linear.Layout.OUT_IN) throw new UnsupportedOperationException("mapped " + mapped.type() + " weights must be OUT_IN (rows are outputs)");
            FloatPanels panels = FloatPanels.of(mapped);
            if (panels != null) panels.multiply(x, M, y);
            else notPanelled(ResidentWeights.of(mapped), x, M, y, in, out);
        } else {
            throw new UnsupportedOperationException("no CPU matmul for weights of type " + w.type() + " in " + w.getClass().getSimpleName()
                    + " (supported: heap F32, or mapped F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
        }
        addBias(lin, y, M);
    }

    /** A mapped matrix that {@link FloatPanels} did not take: quantized, or a float matrix the heap could not hold. */
    private static void notPanelled(MappedTensor m, float[] x, int M, float[] y, int in, int out) {
        if (m.type() == Tensor.DType.F32 && QuantDot.PREFERRED && M < F32_TILES_MAX_ROWS) {
            int groups = (out + F32Tiles.NR - 1) / F32Tiles.NR;
            Parallel.forRange(groups, 8, (g0, g1) ->
                    F32Tiles.rows(m.data(), x, M, y, in, out, g0 * F32Tiles.NR, Math.min(out, g1 * F32Tiles.NR)));
        } else if (integerPath(m, M)) packed(m, x, M, y, out);
        else if (M < PANEL_MIN_ROWS) mappedRows(m, x, M, y, in, out);
        else mappedPanels(m, x, M, y, in, out);
    }

    /** {@code y += b} on each of the {@code M} rows of {@code y}, where {@code lin} has a bias. */
    private static void addBias(Linear lin, float[] y, int M) {
        if (lin.bias() == null) return;
        F32Tensor b = (F32Tensor) lin.bias();
        int out = lin.out();
        for (int m = 0; m < M; m++) Vec.add(b.data(), b.offset(), y, m * out, out);
    }

    /**
     * {@code ys[i] = x · W_i + b_i} for several linears that read the same {@code x} (q, k, v; gate,
     * up): when all take the integer kernels, {@code x} is quantized once per activation block size
     * and their groups of rows run as one parallel loop — one fork/join instead of one per matrix,
     * which is most of what a decode step's loops cost on two threads. Otherwise one by one.
     */
    public static void forward(Linear[] lins, float[] x, int M, float[][] ys) {
        PackedWeights[] ps = new PackedWeights[lins.length];
        int[] start = new int[lins.length + 1];
        for (int i = 0; i < lins.length; i++) {
            if (!(lins[i].weight() instanceof MappedTensor m) || lins[i].layout() != Linear.Layout.OUT_IN || !integerPath(m, M) || lins[i].in() != lins[0].in()) {
                for (int j = 0; j < lins.length; j++) forward(lins[j], x, M, ys[j]);
                return;
            }
            ps[i] = PackedWeights.of(m);
            start[i + 1] = start[i] + ps[i].groups;
        }
        Int8Activations[] xq = new Int8Activations[lins.length];
        for (int i = 0; i < lins.length; i++) {
            int block = PackedWeights.activationBlock(ps[i].type);
            Int8Activations shared = null;
            for (int j = 0; j < i; j++) if (xq[j].block() == block && (shared == null || xq[j].fields() != null)) shared = xq[j];
            Int8Activations.Buffers buffers = buffers(block);
            xq[i] = ps[i].operand(shared != null ? shared : Int8Activations.of(x, M, lins[0].in(), block, buffers), buffers);
        }
        Parallel.forRange(start[lins.length], 2, (u0, u1) -> {
            for (int i = 0; i < lins.length; i++) {
                int g0 = Math.max(u0, start[i]) - start[i], g1 = Math.min(u1, start[i + 1]) - start[i];
                if (g0 < g1) ps[i].multiply(xq[i], M, ys[i], lins[i].out(), g0, g1);
            }
        });
        for (int i = 0; i < lins.length; i++) addBias(lins[i], ys[i], M);
    }

    /** Rows of W are outputs: each output is a dot product of an input row with a weight row. */
    private static void outIn(F32Tensor w, float[] x, int M, float[] y, int in, int out) {
        float[] data = w.data();
        int base = w.offset(), stride = w.rowStride();
        Parallel.forRange(out, 16, (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                int row = base + o * stride;
                for (int m = 0; m < M; m++) y[m * out + o] = Vec.dot(x, m * in, data, row, in);
            }
        });
    }

    /**
     * Whether {@code M} rows times {@code m} take the integer kernels (and so int8-quantized
     * activations): always for a few rows; for a prompt, except Q8_0, whose 8-bit products need
     * more integer work per weight than decoding a panel to floats once per prompt (measured on one
     * core, 128 rows: Q8_0 28 against 33 G multiply-adds/s for panels; Q4_0 38 against 29, Q4_K 39
     * against 30, Q6_K 34 against 22).
     */
    static boolean integerPath(MappedTensor m, int M) {
        return PackedWeights.packable(m) && (M < PANEL_MIN_ROWS || m.type() != Tensor.DType.Q8_0);
    }

    /**
     * Each thread's arrays for quantized activations, one set per block size (a product's linears may
     * take both): what one product quantizes is only read within it.
     */
    private static final ThreadLocal<Int8Activations.Buffers[]> BUFFERS =
            ThreadLocal.withInitial(() -> new Int8Activations.Buffers[]{new Int8Activations.Buffers(), new Int8Activations.Buffers()});

    private static Int8Activations.Buffers buffers(int block) {
        return BUFFERS.get()[block == dev.rill.spi.BlockFormats.QK ? 0 : 1];
    }

    /** Quantized weights through the integer kernels: activations quantized once, groups of rows spread over the cores. */
    private static void packed(MappedTensor w, float[] x, int M, float[] y, int out) {
        PackedWeights p = PackedWeights.of(w);
        int block = PackedWeights.activationBlock(w.type());
        Int8Activations.Buffers buffers = buffers(block);
        Int8Activations xq = p.operand(Int8Activations.of(x, M, w.cols(), block, buffers), buffers);
        Parallel.forRange(p.groups, 2, (g0, g1) -> p.multiply(xq, M, y, out, g0, g1));
    }

    private static void mappedRows(MappedTensor w, float[] x, int M, float[] y, int in, int out) {
        long rowBytes = w.rowBytes();
        // F16 rows take the activations scaled once (QuantDot.f16Scaled): one vector operation fewer per weight.
        boolean f16 = w.type() == Tensor.DType.F16 && QuantDot.PREFERRED;
        float[] xs = f16 ? QuantDot.scaled(x, 0, M * in) : x;
        boolean wide = f16 && in >= WIDE_F16;
        Parallel.forRange(out, 32, (o0, o1) -> {
            int o = o0;
            if (wide) {
                for (; o + 4 <= o1; o += 4) {
                    for (int m = 0; m < M; m++) QuantDot.f16x4Scaled(w.data(), o * rowBytes, rowBytes, xs, m * in, in, y, m * out + o);
                }
            }
            for (; o < o1; o++) {
                long off = o * rowBytes;
                for (int m = 0; m < M; m++) {
                    y[m * out + o] = f16 ? QuantDot.f16Scaled(w.data(), off, xs, m * in, in) : QuantDot.dot(w.type(), w.data(), off, x, m * in, in);
                }
            }
        });
    }

    private static void mappedPanels(MappedTensor w, float[] x, int M, float[] y, int in, int out) {
        int panels = (out + PANEL - 1) / PANEL;
        // x packed once into Gemm's row groups: every panel's tiles then read it with constant strides.
        float[] xp = Gemm.packedRows(x, M, in);
        // Q8_0 panels come from its repacked copy (PackedWeights.panel: no transposition, no mapped read);
        // the other packed types never get here (integerPath).
        PackedWeights packed = w.type() == Tensor.DType.Q8_0 && PackedWeights.packable(w) ? PackedWeights.of(w) : null;
        Parallel.forRange(panels, 1, (p0, p1) -> {
            float[] panel = Gemm.buffer(PANEL_BUFFER, in * PANEL);
            float[] rows = packed != null ? null : new float[PANEL * DEQUANTIZED_COLUMNS];
            int[] column = new int[PANEL];
            float[] tile = new float[Gemm.MR * PANEL];
            for (int p = p0; p < p1; p++) {
                int r0 = p * PANEL, nr = Math.min(PANEL, out - r0);
                if (packed != null) packed.panel(r0, panel);
                else {
                    // A slab of columns at a time, so the rows being transposed stay in L1 (whole rows of the
                    // widest matrices, 32 × 8,192 floats, are 1 MiB).
                    for (int k0 = 0; k0 < in; k0 += DEQUANTIZED_COLUMNS) {
                        int kc = Math.min(DEQUANTIZED_COLUMNS, in - k0);
                        long skip = BlockFormats.rowBytes(w.type(), k0);
                        for (int r = 0; r < nr; r++) QuantDot.dequantize(w.type(), w.data(), w.rowOffset(r0 + r) + skip, rows, r * kc, kc);
                        transpose(rows, nr, kc, panel, k0 * PANEL, column);
                    }
                }
                Gemm.panelTimesRows(xp, M, in, panel, 0, nr, tile, y, r0, out);
            }
        });
    }

    /**
     * {@code panel[p0 + k·PANEL + r] = rows[r·kc + k]} for {@code r < nr}: one gather of a column of
     * the rows per vector of the panel instead of a load and a store per value (rows past
     * {@code nr} left as they are: their outputs are never stored).
     */
    static void transpose(float[] rows, int nr, int kc, float[] panel, int p0, int[] column) {
        int L = F.length();
        for (int r = 0; r < PANEL; r++) column[r] = r * kc;
        int h = 0;
        for (; h + L <= nr; h += L) {
            for (int k = 0, pi = p0 + h; k < kc; k++, pi += PANEL) FloatVector.fromArray(F, rows, k, column, h).intoArray(panel, pi);
        }
        for (int r = h; r < nr; r++) {
            for (int k = 0, ri = r * kc, pi = p0 + r; k < kc; k++, pi += PANEL) panel[pi] = rows[ri + k];
        }
    }
}
