package dev.rill.backend.tornadovm;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * The device kernels, one set for every model family, in TornadoVM's {@link KernelContext} style
 * (TornadoVM compiles each task to OpenCL C or PTX; on the host they are never called).
 *
 * <p>A pass runs {@code M} rows at once: a row is one token of some sequence at some position
 * (a prompt chunk is many rows of one sequence, a batched decode step one row per sequence). Rows
 * live side by side in the activation arrays ({@code x[r·C ..]}), and {@link #STATE}'s header says
 * how many there are and where each one's position and KV slot are.
 *
 * <p>Weights stay in their stored format ({@link #F32}, {@link #F16} as raw 16-bit values, or GGML's
 * {@link #Q8_0}/{@link #Q4_0} blocks) and are decoded inside {@link #matmul}; every sum is FP32.
 * Reductions run in local memory within one work-group of {@link #WG} threads (no atomics, no
 * {@code @Reduce}, which returned partial sums on PoCL); the tree loops are written out in each
 * kernel because TornadoVM miscompiles a local array handed to a helper.
 */
final class Kernels {

    /** Work-group size of every kernel; local arrays need a compile-time size. */
    static final int WG = 256;
    /** {@link #matmul}, few rows: output features per work-group (one 32-thread lane group each) and rows kept in registers. */
    static final int ROWS_PER_GROUP = WG / 32, MAX_VECTOR_ROWS = 4;
    /** {@link #matmul}, many rows: a {@code TILE × TILE} block of the output per work-group, stepping {@code TK} inputs at a time. */
    static final int TILE = 16, TK = 32, TK1 = TK + 1;

    /** Weight formats on the device. */
    static final int F32 = 0, F16 = 1, Q8_0 = 2, Q4_0 = 3;

    /**
     * What {@link #matmul} does with {@code W·x + b}: store, add to the output (residual), GELU, or
     * SwiGLU / GeGLU of the gate and up halves.
     */
    static final int STORE = 0, ACCUMULATE = 1, GELU = 2, SWIGLU = 3, GEGLU = 4;

    /**
     * The pass's state: {@code state[ROWS]} rows run, {@code state[OUTS]} rows whose logits are wanted,
     * listed from {@code state[OUT_LIST]}; row {@code r}'s position and KV slot at
     * {@code state[state[ROW_BASE] + 2r]} and {@code + 1}.
     */
    static final int ROWS = 0, OUTS = 1, ROW_BASE = 2, OUT_LIST = 4;
    static final String STATE = "state";

    /** {@link #qkPrepare}'s and {@link #attend}'s sizes and switches, {@code dims[...]}. */
    static final int GROUP = 0, HEAD_DIM = 1, Q_DIM = 2, KV_DIM = 3, CAPACITY = 4, USE_QK_NORM = 5, N_HEAD = 6, N_KV_HEAD = 7, DIMS_SIZE = 8;
    /**
     * Per positional encoder {@code e} (a model has one; Gemma 3's local layers add a second), at
     * {@code dims[DIMS_SIZE + e·ENCODER_SIZE + ...]}: its switches, and where its tables start in the
     * {@code rotation}, {@code rotDims} and {@code bias} arrays, which hold every encoder's tables back to back.
     */
    static final int USE_ROTATION = 0, ROTATION_STRIDE = 1, ROTATION_AT = 2, ROT_DIMS_AT = 3, USE_BIAS = 4, POSITIONS = 5, BIAS_AT = 6,
            ENCODER_SIZE = 7;

    private static final float GELU_K = 0.7978845608f; // √(2/π)
    private static final float GELU_C3 = 0.044715f;
    private static final float TWO_POW_MINUS_25 = 2.9802322387695312e-8f;

    private Kernels() {
    }

    /**
     * An IEEE half (its 16 bits in the low bits of {@code h}) as a float, with integer operations
     * only: OpenCL devices without {@code cl_khr_fp16} (PoCL) have no {@code half}, and TornadoVM's
     * OpenCL backend does not compile {@code Float.intBitsToFloat}. Exact for every finite half.
     */
    static float halfToFloat(int h) {
        int e = (h >> 10) & 31, m = h & 1023;
        float v = (e == 0 ? m : (m | 1024)) * (float) (1 << (e == 0 ? 1 : e)) * TWO_POW_MINUS_25;
        return (h & 0x8000) != 0 ? -v : v;
    }

    /** The fp16 at byte {@code at} of a block array, little-endian. */
    static float halfAt(ByteArray b, int at) {
        return halfToFloat((b.get(at) & 0xFF) | ((b.get(at + 1) & 0xFF) << 8));
    }

    /**
     * Element {@code (j, k)} of a {@code (rows, in)} matrix in {@code type}: {@code wf} holds F32,
     * {@code wh} F16 bits, {@code wq} GGML blocks (Q8_0: fp16 scale + 32 int8; Q4_0: fp16 scale + 16
     * bytes, element {@code e} in the low nibble of byte {@code e} or the high nibble of byte {@code e−16}).
     */
    static float weight(FloatArray wf, ShortArray wh, ByteArray wq, int type, int in, int j, int k) {
        float w;
        if (type == Q8_0) {
            int b = (j * (in >> 5) + (k >> 5)) * 34;
            w = halfAt(wq, b) * wq.get(b + 2 + (k & 31));
        } else if (type == Q4_0) {
            int b = (j * (in >> 5) + (k >> 5)) * 18, e = k & 31;
            int q = wq.get(b + 2 + (e & 15)) & 0xFF;
            w = halfAt(wq, b) * (((e < 16 ? q : q >> 4) & 15) - 8);
        } else if (type == F16) {
            w = halfToFloat(wh.get(j * in + k) & 0xFFFF);
        } else {
            w = wf.get(j * in + k);
        }
        return w;
    }

    /** GELU's tanh form, written as the cpu backend computes it: {@code x / (1 + e^{−2y})}, {@code y = √(2/π)(x + 0.044715x³)}. */
    static float gelu(float v) {
        float minus2y = -2f * GELU_K * (v + GELU_C3 * v * v * v);
        return v / (1f + TornadoMath.exp(minus2y));
    }

    /** The epilogue of one output: {@code v = W·x + b} (and {@code u} the up half for SwiGLU and GeGLU). */
    private static void emit(FloatArray y, int at, float v, float u, int mode) {
        if (mode == ACCUMULATE) {
            y.set(at, y.get(at) + v);
        } else if (mode == GELU) {
            y.set(at, gelu(v));
        } else if (mode == GEGLU) {
            y.set(at, gelu(v) * u);
        } else if (mode == SWIGLU) {
            y.set(at, v / (1f + TornadoMath.exp(-v)) * u);
        } else {
            y.set(at, v);
        }
    }

    /**
     * {@code y[m] = epilogue(W·x[m] + b)} for the first {@code state[countAt]} rows {@code m}: {@code W}
     * is {@code (out, in)} in {@code type} (for {@link #SWIGLU} and {@link #GEGLU}, {@code (2·out, in)}: the gate's rows,
     * then the up projection's, and {@code b} both biases likewise); {@code x} rows are {@code in}
     * wide, {@code y} rows {@code out}.
     *
     * <p>Up to {@link #MAX_VECTOR_ROWS} rows (decode): matrix–vector, {@link #ROWS_PER_GROUP} outputs
     * per work-group, 32 threads each striding along the row so that neighbouring threads read
     * neighbouring weights (one quantization block per step), every row of {@code x} multiplied by the
     * weight while it is in a register: one pass over the weights serves the whole batch.
     * More rows (prefill): a {@code TILE × TILE} output tile per work-group, stepping through the
     * inputs {@code TK} at a time with both operands (weights decoded once) staged in local memory.
     * One kernel holds both shapes, so that one compiled task serves decode and prefill; work-groups
     * beyond what a shape needs return at once.
     */
    static void matmul(KernelContext ctx, FloatArray wf, ShortArray wh, ByteArray wq, FloatArray bias, FloatArray x,
                       FloatArray y, IntArray state, int type, int in, int out, int mode, int countAt) {
        int lid = ctx.localIdx, g = ctx.groupIdx;
        int M = state.get(countAt);
        int glu = mode == SWIGLU || mode == GEGLU ? 1 : 0;
        float[] part = ctx.allocateFloatLocalArray(2 * MAX_VECTOR_ROWS * WG);
        float[] xs = ctx.allocateFloatLocalArray(TILE * TK1);
        float[] ws = ctx.allocateFloatLocalArray(TILE * TK1);
        float[] us = ctx.allocateFloatLocalArray(TILE * TK1);
        if (M <= MAX_VECTOR_ROWS) {
            int lane = lid & 31, j = g * ROWS_PER_GROUP + (lid >> 5);
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, b0 = 0f, b1 = 0f, b2 = 0f, b3 = 0f;
            if (j < out) {
                for (int k = lane; k < in; k += 32) {
                    float w = weight(wf, wh, wq, type, in, j, k);
                    float x0 = x.get(k);
                    a0 += w * x0;
                    float x1 = 0f, x2 = 0f, x3 = 0f;
                    if (M > 1) {
                        x1 = x.get(in + k);
                        a1 += w * x1;
                    }
                    if (M > 2) {
                        x2 = x.get(2 * in + k);
                        a2 += w * x2;
                    }
                    if (M > 3) {
                        x3 = x.get(3 * in + k);
                        a3 += w * x3;
                    }
                    if (glu == 1) {
                        float u = weight(wf, wh, wq, type, in, j + out, k);
                        b0 += u * x0;
                        b1 += u * x1;
                        b2 += u * x2;
                        b3 += u * x3;
                    }
                }
            }
            part[lid] = a0;
            part[WG + lid] = a1;
            part[2 * WG + lid] = a2;
            part[3 * WG + lid] = a3;
            part[4 * WG + lid] = b0;
            part[5 * WG + lid] = b1;
            part[6 * WG + lid] = b2;
            part[7 * WG + lid] = b3;
            for (int s = 16; s > 0; s >>= 1) {
                ctx.localBarrier();
                if (lane < s) {
                    for (int v = 0; v < 2 * MAX_VECTOR_ROWS; v++) part[v * WG + lid] += part[v * WG + lid + s];
                }
            }
            if (lane == 0 && j < out) {
                for (int m = 0; m < M; m++) {
                    float u = glu == 1 ? part[(MAX_VECTOR_ROWS + m) * WG + lid] + bias.get(out + j) : 0f;
                    emit(y, m * out + j, part[m * WG + lid] + bias.get(j), u, mode);
                }
            }
        } else {
            int tilesN = (out + TILE - 1) / TILE;
            int tm0 = g / tilesN * TILE, tn0 = g % tilesN * TILE;
            int ty = lid / TILE, tx = lid % TILE;
            if (tm0 < M) {
                float acc = 0f, accU = 0f;
                for (int k0 = 0; k0 < in; k0 += TK) {
                    for (int e = lid; e < TILE * TK; e += WG) {
                        int r = e / TK, kk = e % TK, k = k0 + kk;
                        float xv = 0f, wv = 0f, uv = 0f;
                        if (k < in) {
                            if (tm0 + r < M) xv = x.get((tm0 + r) * in + k);
                            if (tn0 + r < out) {
                                wv = weight(wf, wh, wq, type, in, tn0 + r, k);
                                if (glu == 1) uv = weight(wf, wh, wq, type, in, out + tn0 + r, k);
                            }
                        }
                        xs[r * TK1 + kk] = xv;
                        ws[r * TK1 + kk] = wv;
                        us[r * TK1 + kk] = uv;
                    }
                    ctx.localBarrier();
                    for (int kk = 0; kk < TK; kk++) {
                        float xv = xs[ty * TK1 + kk];
                        acc += xv * ws[tx * TK1 + kk];
                        accU += xv * us[tx * TK1 + kk];
                    }
                    ctx.localBarrier();
                }
                int m = tm0 + ty, j = tn0 + tx;
                if (m < M && j < out) {
                    float u = glu == 1 ? accU + bias.get(out + j) : 0f;
                    emit(y, m * out + j, acc + bias.get(j), u, mode);
                }
            }
        }
    }

    /**
     * RMSNorm ({@code layerNorm == 0}) or LayerNorm of each row of {@code x} into {@code out}, one
     * work-group per row; with {@code accumulate == 1} added to {@code out} (a norm before the residual
     * add, Gemma's). With {@code gather == 1} the rows are those listed for logits, packed.
     */
    static void norm(KernelContext ctx, FloatArray x, FloatArray w, FloatArray b, FloatArray out, IntArray state,
                     int n, float eps, int layerNorm, int gather, int accumulate) {
        int lid = ctx.localIdx, g = ctx.groupIdx;
        float[] part = ctx.allocateFloatLocalArray(WG);
        int count = gather == 1 ? state.get(OUTS) : state.get(ROWS);
        if (g < count) {
            int xo = (gather == 1 ? state.get(OUT_LIST + g) : g) * n, oo = g * n;
            float mean = 0f;
            if (layerNorm == 1) {
                float s = 0f;
                for (int i = lid; i < n; i += WG) s += x.get(xo + i);
                part[lid] = s;
                for (int stride = WG / 2; stride > 0; stride /= 2) {
                    ctx.localBarrier();
                    if (lid < stride) part[lid] += part[lid + stride];
                }
                ctx.localBarrier();
                mean = part[0] / n;
                ctx.localBarrier();
            }
            float v = 0f;
            for (int i = lid; i < n; i += WG) {
                float d = x.get(xo + i) - mean;
                v += d * d;
            }
            part[lid] = v;
            for (int stride = WG / 2; stride > 0; stride /= 2) {
                ctx.localBarrier();
                if (lid < stride) part[lid] += part[lid + stride];
            }
            ctx.localBarrier();
            float scale = 1f / TornadoMath.sqrt(part[0] / n + eps);
            for (int i = lid; i < n; i += WG) {
                float o = (x.get(xo + i) - mean) * scale * w.get(i);
                if (layerNorm == 1) o += b.get(i);
                if (accumulate == 1) o += out.get(oo + i);
                out.set(oo + i, o);
            }
        }
    }

    /**
     * Prepares one head of one row's query or key (work-group {@code row · (nHead + nKvHead) + unit};
     * units below {@code nHead} are query heads, the rest key/value heads), in this order:
     * <ol>
     *   <li>optional per-head RMSNorm (Qwen 3);</li>
     *   <li>rotation by the position's 2×2 matrices of the block's {@code encoder}: dimension {@code d}
     *       becomes {@code self·src[d] + other·src[partner]} with {@code rotDims[3d..3d+3) = (partner, self, other)},
     *       the coefficients' places in the position's row of {@code rotation}; partner {@code d} means unrotated;</li>
     *   <li>a query goes back into {@code qkv}; a key, and its value, into the row's KV slot at its position.</li>
     * </ol>
     * {@code qkv} rows hold q, k and v side by side. Every row's keys are stored before {@link #attend}
     * runs (a separate task), so rows of one prompt see each other.
     */
    static void qkPrepare(KernelContext ctx, FloatArray qkv, FloatArray keys, FloatArray values, FloatArray qNorm,
                          FloatArray kNorm, FloatArray rotation, IntArray rotDims, IntArray state, IntArray dims, float eps, int encoder) {
        int lid = ctx.localIdx, g = ctx.groupIdx;
        float[] part = ctx.allocateFloatLocalArray(WG);
        int nHead = dims.get(N_HEAD), units = nHead + dims.get(N_KV_HEAD);
        int r = g / units, u = g % units;
        if (r < state.get(ROWS)) {
            int headDim = dims.get(HEAD_DIM), qDim = dims.get(Q_DIM), kvDim = dims.get(KV_DIM);
            int isKey = u < nHead ? 0 : 1;
            int head = isKey == 1 ? u - nHead : u;
            int rowOff = r * (qDim + 2 * kvDim);
            int src = rowOff + isKey * qDim + head * headDim;
            int useNorm = dims.get(USE_QK_NORM);
            float scale = 1f;
            if (useNorm == 1) {
                float s = 0f;
                for (int d = lid; d < headDim; d += WG) s += qkv.get(src + d) * qkv.get(src + d);
                part[lid] = s;
                for (int stride = WG / 2; stride > 0; stride /= 2) {
                    ctx.localBarrier();
                    if (lid < stride) part[lid] += part[lid + stride];
                }
                ctx.localBarrier();
                scale = 1f / TornadoMath.sqrt(part[0] / headDim + eps);
            }
            int rowBase = state.get(ROW_BASE);
            int pos = state.get(rowBase + 2 * r), slot = state.get(rowBase + 2 * r + 1);
            int enc = DIMS_SIZE + encoder * ENCODER_SIZE;
            int rotStride = dims.get(enc + ROTATION_STRIDE), useRotation = dims.get(enc + USE_ROTATION);
            int rotAt = dims.get(enc + ROTATION_AT), rd = dims.get(enc + ROT_DIMS_AT);
            float value = 0f;
            int d = lid;
            if (d < headDim) {
                value = qkv.get(src + d) * scale;
                if (useNorm == 1) value *= isKey == 1 ? kNorm.get(d) : qNorm.get(d);
                if (useRotation == 1) {
                    int p = rotDims.get(rd + 3 * d);
                    if (p != d) {
                        float partner = qkv.get(src + p) * scale;
                        if (useNorm == 1) partner *= isKey == 1 ? kNorm.get(p) : qNorm.get(p);
                        int t = rotAt + pos * rotStride;
                        value = rotation.get(t + rotDims.get(rd + 3 * d + 1)) * value + rotation.get(t + rotDims.get(rd + 3 * d + 2)) * partner;
                    }
                }
            }
            ctx.localBarrier(); // every thread has read the head before any writes it back
            if (d < headDim) {
                if (isKey == 1) {
                    int at = (slot * dims.get(CAPACITY) + pos) * kvDim + head * headDim + d;
                    keys.set(at, value);
                    values.set(at, qkv.get(rowOff + qDim + kvDim + head * headDim + d));
                } else {
                    qkv.set(src + d, value);
                }
            }
        }
    }

    /**
     * Causal attention of one query head of one row (work-group {@code row · nHead + head}) over its
     * sequence's positions {@code 0..pos} (the last {@code window} of them when {@code window > 0}):
     * scores {@code scale·q·k}, soft-capped to {@code softcap·tanh(s/softcap)} when {@code softcap > 0},
     * plus the optional relative bias {@code bias[h·positions + distance]}; positions go {@link #WG} at
     * a time through local memory with a running maximum and sum (the softmax of all scores without
     * storing them), each thread {@code d < headDim} keeping output dimension {@code d}.
     */
    static void attend(KernelContext ctx, FloatArray qkv, FloatArray keys, FloatArray values, FloatArray bias,
                       FloatArray att, IntArray state, IntArray dims, float scale, float softcap, int window, int encoder) {
        int lid = ctx.localIdx, g = ctx.groupIdx;
        float[] part = ctx.allocateFloatLocalArray(WG);
        float[] p = ctx.allocateFloatLocalArray(WG);
        float[] q = ctx.allocateFloatLocalArray(WG);
        int nHead = dims.get(N_HEAD);
        int r = g / nHead, h = g % nHead;
        if (r < state.get(ROWS)) {
            int headDim = dims.get(HEAD_DIM), qDim = dims.get(Q_DIM), kvDim = dims.get(KV_DIM);
            int rowBase = state.get(ROW_BASE);
            int pos = state.get(rowBase + 2 * r), slot = state.get(rowBase + 2 * r + 1), n = pos + 1;
            int first = window > 0 ? TornadoMath.max(0, pos - window + 1) : 0;
            int kv = slot * dims.get(CAPACITY) * kvDim + h / dims.get(GROUP) * headDim;
            int enc = DIMS_SIZE + encoder * ENCODER_SIZE;
            int positions = dims.get(enc + POSITIONS), useBias = dims.get(enc + USE_BIAS), biasAt = dims.get(enc + BIAS_AT);
            if (lid < headDim) q[lid] = qkv.get(r * (qDim + 2 * kvDim) + h * headDim + lid);
            float max = -Float.MAX_VALUE, sum = 0f, acc = 0f;
            for (int t0 = first; t0 < n; t0 += WG) {
                ctx.localBarrier(); // q is stored; the previous chunk's weights are used
                int t = t0 + lid;
                float s = -Float.MAX_VALUE;
                if (t < n) {
                    int kt = kv + t * kvDim;
                    float dot = 0f;
                    for (int d = 0; d < headDim; d++) dot += q[d] * keys.get(kt + d);
                    s = scale * dot;
                    if (softcap > 0f) s = softcap * TornadoMath.tanh(s / softcap);
                    if (useBias == 1) s += bias.get(biasAt + h * positions + pos - t);
                }
                part[lid] = s;
                for (int stride = WG / 2; stride > 0; stride /= 2) {
                    ctx.localBarrier();
                    if (lid < stride) part[lid] = TornadoMath.max(part[lid], part[lid + stride]);
                }
                ctx.localBarrier();
                float newMax = TornadoMath.max(max, part[0]);
                float e = t < n ? TornadoMath.exp(s - newMax) : 0f;
                ctx.localBarrier();
                p[lid] = e;
                part[lid] = e;
                for (int stride = WG / 2; stride > 0; stride /= 2) {
                    ctx.localBarrier();
                    if (lid < stride) part[lid] += part[lid + stride];
                }
                ctx.localBarrier();
                float correction = TornadoMath.exp(max - newMax);
                sum = sum * correction + part[0];
                max = newMax;
                if (lid < headDim) {
                    acc *= correction;
                    int count = TornadoMath.min(WG, n - t0);
                    for (int i = 0; i < count; i++) acc += p[i] * values.get(kv + (t0 + i) * kvDim + lid);
                }
            }
            if (lid < headDim) att.set(r * qDim + h * headDim + lid, acc / sum);
        }
    }
}
