package dev.rill.backend.tornadovm;

import dev.rill.backend.tornadovm.DeviceWeights.DeviceBlock;
import dev.rill.backend.tornadovm.DeviceWeights.DeviceLinear;
import dev.rill.backend.tornadovm.DeviceWeights.DeviceNorm;
import dev.rill.spi.Architecture;
import dev.rill.spi.Linear;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.List;

import static dev.rill.backend.tornadovm.Kernels.COLS;
import static dev.rill.backend.tornadovm.Kernels.WG;

/**
 * One decode step as a single TornadoVM task graph: embed, every block, final norm and LM head.
 * The device keeps everything between steps; per step only {@link #state} goes in and, when asked,
 * {@link #logits} come out. Each sequence owns a slot of the per-layer KV arrays.
 */
final class StepGraph {

    static final String NAME = "rill";

    final IntArray state = new IntArray(Kernels.STATE_SIZE);
    final FloatArray logits;
    final ImmutableTaskGraph graph;
    final GridScheduler grids = new GridScheduler();

    private final Architecture a;
    private final TaskGraph tg = new TaskGraph(NAME);
    private final KernelContext ctx = new KernelContext();
    private final FloatArray x, xb, qkv, qRot, att, scores, hb;

    /**
     * @param capacity positions per KV slot (the tables cover as many)
     * @param slots    KV slots, one per sequence held at once
     */
    StepGraph(Architecture a, DeviceWeights w, PositionTables tables, boolean qkNorms, int capacity, int slots) {
        this.a = a;
        int C = a.nEmb();
        x = new FloatArray(C);
        xb = new FloatArray(C);
        qkv = new FloatArray(a.qDim() + 2 * a.kvDim());
        qRot = new FloatArray(a.qDim());
        att = new FloatArray(a.qDim());
        scores = new FloatArray(Math.multiplyExact(a.nHead(), capacity));
        hb = new FloatArray(a.nHidden());
        logits = new FloatArray(a.nVocab());
        int kvPerLayer = (int) (kvBytes(a, capacity, slots) / (2L * a.nLayer() * Float.BYTES));
        FloatArray[] keys = new FloatArray[a.nLayer()], values = new FloatArray[a.nLayer()];
        for (int l = 0; l < a.nLayer(); l++) {
            keys[l] = new FloatArray(kvPerLayer);
            values[l] = new FloatArray(kvPerLayer);
        }

        // Tables the model does not use are one-element placeholders: a task argument cannot be null.
        FloatArray positions = table(tables.additive());
        FloatArray rotation = table(tables.rotation());
        IntArray rotDims = IntArray.fromArray(tables.rotation() == null ? new int[]{0} : tables.rotationDims(a.headDim()));
        FloatArray bias = table(tables.bias());
        FloatArray none = table(null);
        int[] d = new int[Kernels.DIMS_SIZE];
        d[Kernels.GROUP] = a.nHead() / a.nKvHead();
        d[Kernels.HEAD_DIM] = a.headDim();
        d[Kernels.Q_DIM] = a.qDim();
        d[Kernels.KV_DIM] = a.kvDim();
        d[Kernels.CAPACITY] = capacity;
        d[Kernels.POSITIONS] = tables.positions();
        d[Kernels.USE_BIAS] = tables.bias() == null ? 0 : 1;
        d[Kernels.USE_ROTATION] = tables.rotation() == null ? 0 : 1;
        d[Kernels.USE_QK_NORM] = qkNorms ? 1 : 0;
        d[Kernels.ROTATION_STRIDE] = tables.nPairs() * 4;
        IntArray dims = IntArray.fromArray(d);

        List<Object> once = new ArrayList<>(w.arrays());
        once.addAll(List.of(positions, rotation, rotDims, bias, none, dims, x, xb, qkv, qRot, att, scores, hb, logits));
        once.addAll(List.of(keys));
        once.addAll(List.of(values));
        tg.transferToDevice(DataTransferMode.EVERY_EXECUTION, state);
        tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, once.toArray());

        tg.task("embed", Kernels::embed, ctx, w.tokenEmbedding, positions, state, x, C, tables.additive() == null ? 0 : 1);
        grid("embed", roundUp(C, WG));
        for (int l = 0; l < a.nLayer(); l++) {
            DeviceBlock b = w.blocks.get(l);
            String p = "l" + l + "_";
            norm(p + "attnNorm", b.attnNorm(), x, xb);
            linear(p + "qkv", b.qkv(), xb, qkv, Kernels.STORE);
            tg.task(p + "attention", Kernels::attention, ctx, qkv, qRot, keys[l], values[l], scores, att, bias, rotation, rotDims,
                    qkNorms ? b.qNorm() : none, qkNorms ? b.kNorm() : none, state, dims, a.normEps());
            grid(p + "attention", a.nHead() * WG);
            linear(p + "o", b.o(), att, x, Kernels.ACCUMULATE);
            norm(p + "mlpNorm", b.mlpNorm(), x, xb);
            if (a.activation() == Architecture.Activation.SWIGLU) {
                DeviceLinear gate = b.gate(), up = b.up();
                tg.task(p + "gateUp", Kernels::swiGluOutIn, ctx, gate.weight(), gate.bias(), up.weight(), up.bias(), xb, hb, gate.in());
                grid(p + "gateUp", gate.out() * WG);
            } else {
                linear(p + "up", b.up(), xb, hb, Kernels.STORE_GELU);
            }
            linear(p + "down", b.down(), hb, x, Kernels.ACCUMULATE);
        }
        norm("finalNorm", w.finalNorm, x, xb);
        linear("output", w.output, xb, logits, Kernels.STORE);
        tg.transferToHost(DataTransferMode.UNDER_DEMAND, logits);
        graph = tg.snapshot();
    }

    /**
     * Bytes of the keys and values of every layer, {@code slots} sequences of {@code capacity} positions.
     *
     * @throws IllegalArgumentException when one layer's keys outgrow a TornadoVM array
     */
    static long kvBytes(Architecture a, int capacity, int slots) {
        long perLayer = (long) slots * capacity * a.kvDim();
        if (perLayer > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("the KV cache of one layer (" + slots + " sequences × " + capacity + " positions × "
                    + a.kvDim() + ") exceeds a TornadoVM array's 2^31 elements; lower max-sequences or context");
        }
        return 2L * a.nLayer() * perLayer * Float.BYTES;
    }

    /** Tasks in the graph (each one kernel, compiled on first use). */
    int tasks() {
        return grids.keySet().size();
    }

    private static FloatArray table(float[] values) {
        return values == null ? new FloatArray(1) : FloatArray.fromArray(values);
    }

    private void norm(String id, DeviceNorm n, FloatArray in, FloatArray out) {
        if (a.norm() == Architecture.Norm.LAYER_NORM) {
            tg.task(id, Kernels::layerNorm, ctx, in, n.weight(), n.bias(), out, a.nEmb(), a.normEps());
        } else {
            tg.task(id, Kernels::rmsNorm, ctx, in, n.weight(), out, a.nEmb(), a.normEps());
        }
        grid(id, WG);
    }

    private void linear(String id, DeviceLinear l, FloatArray in, FloatArray out, int mode) {
        if (l.layout() == Linear.Layout.OUT_IN) {
            tg.task(id, Kernels::matVecOutIn, ctx, l.weight(), l.bias(), in, out, l.in(), mode);
            grid(id, l.out() * WG);
        } else {
            tg.task(id, Kernels::matVecInOut, ctx, l.weight(), l.bias(), in, out, l.in(), l.out(), mode);
            grid(id, (l.out() + COLS - 1) / COLS * WG);
        }
    }

    private void grid(String task, int global) {
        WorkerGrid g = new WorkerGrid1D(global);
        g.setLocalWork(WG, 1, 1);
        grids.addWorkerGrid(NAME + "." + task, g);
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }
}
