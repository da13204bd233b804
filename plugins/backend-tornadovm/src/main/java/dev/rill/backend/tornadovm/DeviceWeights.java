package dev.rill.backend.tornadovm;

import dev.rill.spi.Architecture;
import dev.rill.spi.Linear;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.Tensor;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's weights as TornadoVM arrays in the shapes the kernels read: each tensor decoded to
 * float32 and packed densely, whatever its stored type (F32, F16, BF16 or a block quantization, on
 * the heap or memory-mapped from a GGUF file; a view with a row stride, like GPT's q/k/v columns
 * of one fused matrix, becomes its own array);
 * q, k and v stacked into one projection; SwiGLU's gate and up stored {@code (out, in)}. A tensor
 * used twice (GPT's tied embedding and LM head) becomes one array, so it is on the device once.
 */
final class DeviceWeights {

    /** A linear layer on the device; {@code bias} is zeros where the model has none. */
    record DeviceLinear(FloatArray weight, FloatArray bias, Linear.Layout layout, int in, int out) {
    }

    /** {@code bias} is {@code null} for RMSNorm. */
    record DeviceNorm(FloatArray weight, FloatArray bias) {
    }

    /** {@code qkv} maps to {@code [q | k | v]}; {@code gate} is {@code null} without SwiGLU; q/k norms may be {@code null}. */
    record DeviceBlock(DeviceNorm attnNorm, DeviceLinear qkv, DeviceLinear o, FloatArray qNorm, FloatArray kNorm,
                       DeviceNorm mlpNorm, DeviceLinear up, DeviceLinear gate, DeviceLinear down) {
    }

    final FloatArray tokenEmbedding;
    final List<DeviceBlock> blocks = new ArrayList<>();
    final DeviceNorm finalNorm;
    final DeviceLinear output;

    private final Map<Tensor, FloatArray> packed = new HashMap<>();
    private final Map<Integer, FloatArray> zeros = new HashMap<>();
    private final List<FloatArray> arrays = new ArrayList<>();

    /** @throws IllegalArgumentException naming a tensor of the wrong shape */
    DeviceWeights(ModelWeights w) {
        Architecture a = w.arch();
        int C = a.nEmb();
        tokenEmbedding = matrix(w.tokenEmbedding(), a.nVocab(), C, "token embedding");
        boolean swiGlu = a.activation() == Architecture.Activation.SWIGLU;
        for (int l = 0; l < w.blocks().size(); l++) {
            ModelWeights.Block b = w.blocks().get(l);
            String p = "block " + l + " ";
            check(b.q(), C, a.qDim(), p + "q");
            check(b.k(), C, a.kvDim(), p + "k");
            check(b.v(), C, a.kvDim(), p + "v");
            if (swiGlu) check(b.gate(), C, a.nHidden(), p + "gate");
            blocks.add(new DeviceBlock(
                    norm(b.attnNorm(), a, p + "attention norm"),
                    stacked(List.of(b.q(), b.k(), b.v()), b.q().layout(), p + "q/k/v"),
                    linear(b.o(), a.qDim(), C, p + "o"),
                    b.qNorm() == null ? null : vector(b.qNorm(), a.headDim(), p + "q norm"),
                    b.kNorm() == null ? null : vector(b.kNorm(), a.headDim(), p + "k norm"),
                    norm(b.mlpNorm(), a, p + "MLP norm"),
                    swiGlu ? stacked(List.of(check(b.up(), C, a.nHidden(), p + "up")), Linear.Layout.OUT_IN, p + "up")
                            : linear(b.up(), C, a.nHidden(), p + "up"),
                    swiGlu ? stacked(List.of(b.gate()), Linear.Layout.OUT_IN, p + "gate") : null,
                    linear(b.down(), a.nHidden(), C, p + "down")));
        }
        finalNorm = norm(w.finalNorm(), a, "final norm");
        output = linear(w.output(), C, a.nVocab(), "output");
    }

    /** Whether the blocks have per-head q/k norms: all of them, both norms, or none. */
    static boolean qkNorms(ModelWeights w) {
        boolean any = false, all = true;
        for (ModelWeights.Block b : w.blocks()) {
            boolean both = b.qNorm() != null && b.kNorm() != null;
            if (!both && (b.qNorm() != null || b.kNorm() != null)) {
                throw new IllegalArgumentException("a block has a q norm without a k norm or the reverse; the tornadovm backend needs both");
            }
            any |= both;
            all &= both;
        }
        if (any && !all) throw new IllegalArgumentException("only some blocks have q/k norms; the tornadovm backend needs all or none");
        return any;
    }

    /** Every array, each once, for the first transfer to the device. */
    List<FloatArray> arrays() {
        return arrays;
    }

    long bytes() {
        long n = 0;
        for (FloatArray f : arrays) n += f.getNumBytesOfSegment();
        return n;
    }

    private static Linear check(Linear l, int in, int out, String what) {
        if (l == null) throw new IllegalArgumentException(what + " projection is missing");
        if (l.in() != in || l.out() != out) {
            throw new IllegalArgumentException(what + " projection maps " + l.in() + " → " + l.out() + " features; the architecture says " + in + " → " + out);
        }
        return l;
    }

    private DeviceLinear linear(Linear l, int in, int out, String what) {
        check(l, in, out, what);
        Tensor t = l.weight();
        return new DeviceLinear(matrix(t, t.rows(), t.cols(), what + " weight"),
                l.bias() == null ? zeros(out) : vector(l.bias(), out, what + " bias"), l.layout(), in, out);
    }

    /**
     * Several projections of one input as one, outputs side by side, stored in {@code layout}
     * (transposing a part stored the other way: no real model file does, so that path may be slow).
     */
    private DeviceLinear stacked(List<Linear> parts, Linear.Layout layout, String what) {
        int in = parts.getFirst().in(), total = 0;
        for (Linear l : parts) total += l.out();
        if (parts.size() == 1 && parts.getFirst().layout() == layout) return linear(parts.getFirst(), in, total, what);
        FloatArray w = new FloatArray(Math.multiplyExact(in, total)), bias = new FloatArray(total);
        bias.init(0f);
        MemorySegment dst = w.getSegment();
        int first = 0;
        for (Linear l : parts) {
            Tensor t = l.weight();
            float[] row = new float[t.cols()];
            for (int r = 0; r < t.rows(); r++) {
                t.dequantizeRow(r, row, 0);
                if (l.layout() == layout && layout == Linear.Layout.OUT_IN) {
                    MemorySegment.copy(row, 0, dst, ValueLayout.JAVA_FLOAT, (long) (first + r) * in * Float.BYTES, t.cols());
                } else if (l.layout() == layout) { // IN_OUT: row r is input r, its outputs go to columns first..
                    MemorySegment.copy(row, 0, dst, ValueLayout.JAVA_FLOAT, ((long) r * total + first) * Float.BYTES, t.cols());
                } else {
                    for (int c = 0; c < t.cols(); c++) {
                        // transposed: row r is output r of an OUT_IN part, or input r of an IN_OUT part
                        long at = layout == Linear.Layout.OUT_IN ? (long) (first + c) * in + r : (long) r * total + first + c;
                        w.set((int) at, row[c]);
                    }
                }
            }
            if (l.bias() != null) {
                float[] b = l.bias().toFloats();
                for (int o = 0; o < l.out(); o++) bias.set(first + o, b[o]);
            }
            first += l.out();
        }
        arrays.add(w);
        arrays.add(bias);
        return new DeviceLinear(w, bias, layout, in, total);
    }

    private DeviceNorm norm(ModelWeights.NormWeights n, Architecture a, String what) {
        if (n == null || n.weight() == null) throw new IllegalArgumentException(what + " is missing");
        FloatArray bias = a.norm() == Architecture.Norm.LAYER_NORM
                ? (n.bias() == null ? zeros(a.nEmb()) : vector(n.bias(), a.nEmb(), what + " bias")) : null;
        return new DeviceNorm(vector(n.weight(), a.nEmb(), what + " weight"), bias);
    }

    private FloatArray vector(Tensor t, int n, String what) {
        if ((long) t.rows() * t.cols() != n) {
            throw new IllegalArgumentException(what + " has " + t.rows() + "x" + t.cols() + " values; expected " + n);
        }
        return matrix(t, t.rows(), t.cols(), what);
    }

    /** The tensor decoded to float32, rows back to back; a tensor seen before is not uploaded twice. */
    private FloatArray matrix(Tensor t, int rows, int cols, String what) {
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(what + " is " + t.rows() + "x" + t.cols() + "; expected " + rows + "x" + cols);
        }
        FloatArray known = packed.get(t);
        if (known != null) return known;
        FloatArray out = new FloatArray(Math.multiplyExact(rows, cols));
        MemorySegment dst = out.getSegment();
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            t.dequantizeRow(r, row, 0);
            MemorySegment.copy(row, 0, dst, ValueLayout.JAVA_FLOAT, (long) r * cols * Float.BYTES, cols);
        }
        packed.put(t, out);
        arrays.add(out);
        return out;
    }

    private FloatArray zeros(int n) {
        return zeros.computeIfAbsent(n, size -> {
            FloatArray z = new FloatArray(size);
            z.init(0f);
            arrays.add(z);
            return z;
        });
    }
}
