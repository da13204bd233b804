package dev.rill.backend.tornadovm;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The FP32 device kernels of one decode step, in TornadoVM's {@link KernelContext} style. TornadoVM
 * compiles each task to OpenCL C or PTX; on the host they are never called.
 *
 * <p>Reductions run in local memory within one work-group of {@link #WG} threads, so no kernel relies
 * on atomics or on the runtime's {@code @Reduce} (which returned partial sums on PoCL). The tree
 * loops are written out in each kernel: TornadoVM miscompiles a local array handed to a helper.
 * Per layer there are seven kernels (norm, fused q/k/v, attention, output projection, norm, up with
 * its activation, down), since TornadoVM compiles every task on its own and each launch costs time.
 */
final class Kernels {

    /** Work-group size of every kernel; local arrays must have a compile-time size. */
    static final int WG = 256;
    /** {@link #matVecInOut}: output columns per work-group, and slices of the input summed apart. */
    static final int COLS = 32;
    static final int SLICES = WG / COLS;

    /** The step's inputs, {@code state[...]}. */
    static final int TOKEN = 0, POSITION = 1, SLOT = 2, STATE_SIZE = 3;

    /** What a matrix–vector product does with {@code W·x + b}. */
    static final int STORE = 0, ACCUMULATE = 1, STORE_GELU = 2;

    /** {@link #attention}'s sizes and switches, {@code dims[...]}. */
    static final int GROUP = 0, HEAD_DIM = 1, Q_DIM = 2, KV_DIM = 3, CAPACITY = 4, POSITIONS = 5,
            USE_BIAS = 6, USE_ROTATION = 7, USE_QK_NORM = 8, ROTATION_STRIDE = 9, DIMS_SIZE = 10;

    private static final float GELU_K = 0.7978845608f; // √(2/π)
    private static final float GELU_C3 = 0.044715f;

    private Kernels() {
    }

    /** {@code x = tokenEmbedding[token] (+ positions[position])}, one thread per element. */
    static void embed(KernelContext ctx, FloatArray wte, FloatArray positions, IntArray state, FloatArray x,
                      int nEmb, int additive) {
        int i = ctx.globalIdx;
        if (i < nEmb) {
            float v = wte.get(state.get(TOKEN) * nEmb + i);
            if (additive == 1) v += positions.get(state.get(POSITION) * nEmb + i);
            x.set(i, v);
        }
    }

    /** LayerNorm of {@code x} into {@code out}, one work-group; two passes (mean, then variance) as on the CPU. */
    static void layerNorm(KernelContext ctx, FloatArray x, FloatArray w, FloatArray b, FloatArray out, int n, float eps) {
        int lid = ctx.localIdx;
        float[] part = ctx.allocateFloatLocalArray(WG);
        float s = 0f;
        for (int i = lid; i < n; i += WG) s += x.get(i);
        part[lid] = s;
        for (int stride = WG / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) part[lid] += part[lid + stride];
        }
        ctx.localBarrier();
        float mean = part[0] / n;
        ctx.localBarrier();
        float v = 0f;
        for (int i = lid; i < n; i += WG) {
            float d = x.get(i) - mean;
            v += d * d;
        }
        part[lid] = v;
        for (int stride = WG / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) part[lid] += part[lid + stride];
        }
        ctx.localBarrier();
        float rstd = 1f / TornadoMath.sqrt(part[0] / n + eps);
        for (int i = lid; i < n; i += WG) out.set(i, (x.get(i) - mean) * rstd * w.get(i) + b.get(i));
    }

    /** RMSNorm of {@code x} into {@code out}, one work-group. */
    static void rmsNorm(KernelContext ctx, FloatArray x, FloatArray w, FloatArray out, int n, float eps) {
        int lid = ctx.localIdx;
        float[] part = ctx.allocateFloatLocalArray(WG);
        float s = 0f;
        for (int i = lid; i < n; i += WG) s += x.get(i) * x.get(i);
        part[lid] = s;
        for (int stride = WG / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) part[lid] += part[lid + stride];
        }
        ctx.localBarrier();
        float scale = 1f / TornadoMath.sqrt(part[0] / n + eps);
        for (int i = lid; i < n; i += WG) out.set(i, x.get(i) * scale * w.get(i));
    }

    /** The {@link #STORE}, {@link #ACCUMULATE} or {@link #STORE_GELU} epilogue for one output. */
    private static void emit(FloatArray y, int j, float v, int mode) {
        if (mode == ACCUMULATE) {
            y.set(j, y.get(j) + v);
        } else if (mode == STORE_GELU) {
            y.set(j, 0.5f * v * (1f + TornadoMath.tanh(GELU_K * (v + GELU_C3 * v * v * v))));
        } else {
            y.set(j, v);
        }
    }

    /**
     * {@code y = W·x + b} through the {@code mode} epilogue, {@code W} stored {@code (out, in)}: one
     * work-group per output row, its threads summing strided slices of the row, then a tree in local memory.
     */
    static void matVecOutIn(KernelContext ctx, FloatArray w, FloatArray b, FloatArray x, FloatArray y, int in, int mode) {
        int lid = ctx.localIdx, row = ctx.groupIdx;
        float[] part = ctx.allocateFloatLocalArray(WG);
        int base = row * in;
        float s = 0f;
        for (int i = lid; i < in; i += WG) s += w.get(base + i) * x.get(i);
        part[lid] = s;
        for (int stride = WG / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) part[lid] += part[lid + stride];
        }
        if (lid == 0) emit(y, row, part[0] + b.get(row), mode);
    }

    /**
     * {@code y = x·W + b} through the {@code mode} epilogue, {@code W} stored {@code (in, out)} (GPT-2's
     * Conv1D): a work-group covers {@link #COLS} adjacent columns, so neighbouring threads read
     * neighbouring weights; its {@link #SLICES} thread rows sum interleaved input rows, then add up in local memory.
     */
    static void matVecInOut(KernelContext ctx, FloatArray w, FloatArray b, FloatArray x, FloatArray y,
                            int in, int out, int mode) {
        int lid = ctx.localIdx;
        int col = lid % COLS, slice = lid / COLS;
        int j = ctx.groupIdx * COLS + col;
        float[] part = ctx.allocateFloatLocalArray(WG);
        float s = 0f;
        if (j < out) {
            for (int i = slice; i < in; i += SLICES) s += x.get(i) * w.get(i * out + j);
        }
        part[lid] = s;
        for (int half = SLICES / 2; half > 0; half /= 2) {
            ctx.localBarrier();
            if (slice < half) part[lid] += part[lid + half * COLS];
        }
        if (slice == 0 && j < out) emit(y, j, part[lid] + b.get(j), mode);
    }

    /**
     * SwiGLU's first half, fused: {@code y[j] = silu(gate_j·x + bg_j) · (up_j·x + bu_j)}, both
     * matrices stored {@code (out, in)}; one work-group per output computes both dot products.
     */
    static void swiGluOutIn(KernelContext ctx, FloatArray gate, FloatArray gateBias, FloatArray up, FloatArray upBias,
                            FloatArray x, FloatArray y, int in) {
        int lid = ctx.localIdx, row = ctx.groupIdx;
        float[] partGate = ctx.allocateFloatLocalArray(WG);
        float[] partUp = ctx.allocateFloatLocalArray(WG);
        int base = row * in;
        float g = 0f, u = 0f;
        for (int i = lid; i < in; i += WG) {
            float xi = x.get(i);
            g += gate.get(base + i) * xi;
            u += up.get(base + i) * xi;
        }
        partGate[lid] = g;
        partUp[lid] = u;
        for (int stride = WG / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                partGate[lid] += partGate[lid + stride];
                partUp[lid] += partUp[lid + stride];
            }
        }
        if (lid == 0) {
            float gv = partGate[0] + gateBias.get(row);
            y.set(row, gv / (1f + TornadoMath.exp(-gv)) * (partUp[0] + upBias.get(row)));
        }
    }

    /**
     * One query head's attention for this step (one work-group per query head {@code h}), fused:
     * <ol>
     *   <li>optional per-head RMSNorm of the head's query and of its key/value head's key (Qwen 3);</li>
     *   <li>rotation of both by the position's 2×2 matrices: dimension {@code d} of a head becomes
     *       {@code self·src[d] + other·src[partner]} with {@code rotDims[3d..3d+3) = (partner, self, other)},
     *       the coefficients' places in the position's row of {@code rotation}; partner {@code d} means unrotated;</li>
     *   <li>the rotated key and the value written into the sequence's KV slot at the position (each
     *       query head of a group writes the same values, so no work-group waits for another);</li>
     *   <li>causal scores over positions {@code 0..position} with the relative bias
     *       {@code bias[h·positions + distance]}, a softmax with local-memory max and sum, and the
     *       weighted sum of values into {@code att}.</li>
     * </ol>
     * {@code qkv} holds this step's q, k and v side by side; scores live in global memory
     * ({@code scores[h·capacity ..]}), as a context outgrows local memory.
     */
    static void attention(KernelContext ctx, FloatArray qkv, FloatArray qRot, FloatArray keys, FloatArray values,
                          FloatArray scores, FloatArray att, FloatArray bias, FloatArray rotation, IntArray rotDims,
                          FloatArray qNorm, FloatArray kNorm, IntArray state, IntArray dims, float eps) {
        int lid = ctx.localIdx, h = ctx.groupIdx;
        float[] part = ctx.allocateFloatLocalArray(WG);
        int headDim = dims.get(HEAD_DIM), kvDim = dims.get(KV_DIM), capacity = dims.get(CAPACITY);
        int pos = state.get(POSITION), n = pos + 1;
        int kvh = h / dims.get(GROUP);
        int qo = h * headDim;
        int ko = dims.get(Q_DIM) + kvh * headDim, vo = ko + kvDim;
        int slotBase = state.get(SLOT) * capacity * kvDim + kvh * headDim;
        int at = slotBase + pos * kvDim;

        float qScale = 1f, kScale = 1f;
        if (dims.get(USE_QK_NORM) == 1) {
            float s = 0f;
            for (int d = lid; d < headDim; d += WG) s += qkv.get(qo + d) * qkv.get(qo + d);
            part[lid] = s;
            for (int stride = WG / 2; stride > 0; stride /= 2) {
                ctx.localBarrier();
                if (lid < stride) part[lid] += part[lid + stride];
            }
            ctx.localBarrier();
            qScale = 1f / TornadoMath.sqrt(part[0] / headDim + eps);
            ctx.localBarrier();
            s = 0f;
            for (int d = lid; d < headDim; d += WG) s += qkv.get(ko + d) * qkv.get(ko + d);
            part[lid] = s;
            for (int stride = WG / 2; stride > 0; stride /= 2) {
                ctx.localBarrier();
                if (lid < stride) part[lid] += part[lid + stride];
            }
            ctx.localBarrier();
            kScale = 1f / TornadoMath.sqrt(part[0] / headDim + eps);
        }

        int useNorm = dims.get(USE_QK_NORM), useRotation = dims.get(USE_ROTATION), rotStride = dims.get(ROTATION_STRIDE);
        for (int d = lid; d < headDim; d += WG) {
            float q = qkv.get(qo + d) * qScale, k = qkv.get(ko + d) * kScale;
            if (useNorm == 1) {
                q *= qNorm.get(d);
                k *= kNorm.get(d);
            }
            if (useRotation == 1) {
                int p = rotDims.get(3 * d);
                if (p != d) {
                    float qp = qkv.get(qo + p) * qScale, kp = qkv.get(ko + p) * kScale;
                    if (useNorm == 1) {
                        qp *= qNorm.get(p);
                        kp *= kNorm.get(p);
                    }
                    int t = pos * rotStride;
                    float self = rotation.get(t + rotDims.get(3 * d + 1)), other = rotation.get(t + rotDims.get(3 * d + 2));
                    q = self * q + other * qp;
                    k = self * k + other * kp;
                }
            }
            qRot.set(qo + d, q);
            keys.set(at + d, k);
            values.set(at + d, qkv.get(vo + d));
        }
        ctx.globalBarrier(); // this group's own writes of q, the new key and value are read below

        float scale = 1f / TornadoMath.sqrt((float) headDim);
        int so = h * capacity, positions = dims.get(POSITIONS), useBias = dims.get(USE_BIAS);
        float max = -Float.MAX_VALUE;
        for (int t = lid; t < n; t += WG) {
            int kt = slotBase + t * kvDim;
            float dot = 0f;
            for (int d = 0; d < headDim; d++) dot += qRot.get(qo + d) * keys.get(kt + d);
            float s = scale * dot;
            if (useBias == 1) s += bias.get(h * positions + pos - t);
            scores.set(so + t, s);
            max = TornadoMath.max(max, s);
        }
        part[lid] = max;
        for (int stride = WG / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) part[lid] = TornadoMath.max(part[lid], part[lid + stride]);
        }
        ctx.localBarrier();
        max = part[0];
        ctx.localBarrier();

        float sum = 0f;
        for (int t = lid; t < n; t += WG) {
            float e = TornadoMath.exp(scores.get(so + t) - max);
            scores.set(so + t, e);
            sum += e;
        }
        part[lid] = sum;
        for (int stride = WG / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) part[lid] += part[lid + stride];
        }
        ctx.localBarrier();
        float inv = 1f / part[0];
        ctx.globalBarrier(); // the exponentials in global memory, written by every thread, are read by all

        for (int d = lid; d < headDim; d += WG) {
            float acc = 0f;
            for (int t = 0; t < n; t++) acc += scores.get(so + t) * inv * values.get(slotBase + t * kvDim + d);
            att.set(qo + d, acc);
        }
    }
}
