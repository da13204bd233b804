package dev.rill.backend.tornadovm;

import dev.rill.spi.Architecture;
import dev.rill.spi.Linear;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.Tensor;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.ArrayList;
import java.util.List;

/**
 * What of a model goes to the device, layer by layer: each linear map as a {@link DeviceMatrix}
 * in its stored format, rows as outputs ({@code (out, in)}; GPT-2's {@code (in, out)} matrices are
 * transposed); q, k and v stacked into one matrix, and SwiGLU's gate and up likewise (gate rows
 * first); norms and biases as float32 arrays (zeros where a model has no bias). The token
 * embedding stays on the host (the pass looks rows up there) unless it is also the LM head.
 */
final class DeviceWeights {

    /** {@code bias} is {@code null} for RMSNorm. */
    record Norm(FloatArray weight, FloatArray bias) {
    }

    /**
     * One block. {@code up} is {@code (2·nHidden, nEmb)} gate-then-up for SwiGLU and GeGLU,
     * {@code (nHidden, nEmb)} for GELU; {@code qNorm}/{@code kNorm} are {@code null} without per-head
     * q/k norms, {@code postAttnNorm}/{@code postMlpNorm} without norms before the residual adds;
     * {@code window} is the sliding window of its attention (0 = every position).
     */
    record Layer(Norm attnNorm, DeviceMatrix qkv, FloatArray qkvBias, FloatArray qNorm, FloatArray kNorm,
                 DeviceMatrix o, FloatArray oBias, Norm postAttnNorm, Norm mlpNorm, DeviceMatrix up, FloatArray upBias,
                 DeviceMatrix down, FloatArray downBias, Norm postMlpNorm, int window) {

        List<DeviceMatrix> matrices() {
            return List.of(qkv, o, up, down);
        }
    }

    final List<Layer> layers = new ArrayList<>();
    final Norm finalNorm;
    final DeviceMatrix output;
    final FloatArray outputBias;
    final boolean qkNorms;

    /** @throws IllegalArgumentException naming a tensor of the wrong shape or a model this backend cannot run */
    DeviceWeights(ModelWeights w) {
        Architecture a = w.arch();
        int C = a.nEmb();
        boolean gated = a.gated();
        qkNorms = qkNorms(w);
        for (int l = 0; l < w.blocks().size(); l++) {
            ModelWeights.Block b = w.blocks().get(l);
            String p = "block " + l + " ";
            List<Linear> qkv = List.of(check(b.q(), C, a.qDim(), p + "q"), check(b.k(), C, a.kvDim(), p + "k"), check(b.v(), C, a.kvDim(), p + "v"));
            List<Linear> up = gated ? List.of(check(b.gate(), C, a.nHidden(), p + "gate"), check(b.up(), C, a.nHidden(), p + "up"))
                    : List.of(check(b.up(), C, a.nHidden(), p + "up"));
            Linear o = check(b.o(), a.qDim(), C, p + "o"), down = check(b.down(), a.nHidden(), C, p + "down");
            layers.add(new Layer(
                    norm(b.attnNorm(), a, p + "attention norm"),
                    stacked(p + "q/k/v", qkv), biases(qkv),
                    qkNorms ? vector(b.qNorm(), a.headDim(), p + "q norm") : null,
                    qkNorms ? vector(b.kNorm(), a.headDim(), p + "k norm") : null,
                    stacked(p + "o", List.of(o)), biases(List.of(o)),
                    b.postAttnNorm() == null ? null : norm(b.postAttnNorm(), a, p + "post-attention norm"),
                    norm(b.mlpNorm(), a, p + "MLP norm"),
                    stacked(p + (gated ? "gate/up" : "up"), up), biases(up),
                    stacked(p + "down", List.of(down)), biases(List.of(down)),
                    b.postMlpNorm() == null ? null : norm(b.postMlpNorm(), a, p + "post-MLP norm"), b.slidingWindow()));
        }
        finalNorm = norm(w.finalNorm(), a, "final norm");
        Linear out = check(w.output(), C, a.nVocab(), "output");
        output = stacked("output", List.of(out));
        outputBias = biases(List.of(out));
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

    /** Bytes of the weight matrices on the device (norms and biases are a rounding error next to them). */
    long matrixBytes() {
        long n = output.dataBytes();
        for (Layer l : layers) for (DeviceMatrix m : l.matrices()) n += m.dataBytes();
        return n;
    }

    /** Bytes of every small float32 array (norms, biases). */
    long vectorBytes() {
        long n = bytes(finalNorm) + outputBias.getNumBytesOfSegment();
        for (Layer l : layers) {
            n += bytes(l.attnNorm()) + bytes(l.mlpNorm()) + bytes(l.postAttnNorm()) + bytes(l.postMlpNorm())
                    + l.qkvBias().getNumBytesOfSegment() + l.oBias().getNumBytesOfSegment()
                    + l.upBias().getNumBytesOfSegment() + l.downBias().getNumBytesOfSegment();
            if (l.qNorm() != null) n += l.qNorm().getNumBytesOfSegment() + l.kNorm().getNumBytesOfSegment();
        }
        return n;
    }

    /** The formats the matrices are kept in, e.g. {@code Q8_0 ×112, F32 ×1}. */
    String formats() {
        java.util.Map<String, Integer> count = new java.util.TreeMap<>();
        count.merge(DeviceMatrix.typeName(output.type()), 1, Integer::sum);
        for (Layer l : layers) for (DeviceMatrix m : l.matrices()) count.merge(DeviceMatrix.typeName(m.type()), 1, Integer::sum);
        List<String> parts = new ArrayList<>();
        count.forEach((k, v) -> parts.add(k + " ×" + v));
        return String.join(", ", parts);
    }

    private static long bytes(Norm n) {
        if (n == null) return 0;
        return n.weight().getNumBytesOfSegment() + (n.bias() == null ? 0 : n.bias().getNumBytesOfSegment());
    }

    private static Linear check(Linear l, int in, int out, String what) {
        if (l == null) throw new IllegalArgumentException(what + " projection is missing");
        if (l.in() != in || l.out() != out) {
            throw new IllegalArgumentException(what + " projection maps " + l.in() + " → " + l.out() + " features; the architecture says " + in + " → " + out);
        }
        return l;
    }

    private static DeviceMatrix stacked(String name, List<Linear> parts) {
        List<DeviceMatrix.Part> ps = new ArrayList<>();
        for (Linear l : parts) ps.add(new DeviceMatrix.Part(l.weight(), l.layout()));
        return DeviceMatrix.of(name, ps);
    }

    /** The parts' biases side by side, zeros where a part has none. */
    private static FloatArray biases(List<Linear> parts) {
        int total = 0;
        for (Linear l : parts) total += l.out();
        float[] b = new float[total];
        int at = 0;
        for (Linear l : parts) {
            if (l.bias() != null) {
                float[] v = l.bias().toFloats();
                if (v.length != l.out()) throw new IllegalArgumentException("a bias of " + v.length + " values for " + l.out() + " outputs");
                System.arraycopy(v, 0, b, at, v.length);
            }
            at += l.out();
        }
        return FloatArray.fromArray(b);
    }

    private static Norm norm(ModelWeights.NormWeights n, Architecture a, String what) {
        if (n == null || n.weight() == null) throw new IllegalArgumentException(what + " is missing");
        FloatArray bias = null;
        if (a.norm() == Architecture.Norm.LAYER_NORM) {
            bias = n.bias() == null ? FloatArray.fromArray(new float[a.nEmb()]) : vector(n.bias(), a.nEmb(), what + " bias");
        }
        return new Norm(vector(n.weight(), a.nEmb(), what + " weight"), bias);
    }

    private static FloatArray vector(Tensor t, int n, String what) {
        if (t == null) throw new IllegalArgumentException(what + " is missing");
        if ((long) t.rows() * t.cols() != n) {
            throw new IllegalArgumentException(what + " has " + t.rows() + "x" + t.cols() + " values; expected " + n);
        }
        return FloatArray.fromArray(t.toFloats());
    }
}
