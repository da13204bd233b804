package dev.rill.backend.tornadovm;

import dev.rill.spi.Architecture;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.rill.backend.tornadovm.Kernels.WG;

/**
 * The model as TornadoVM task graphs: the transformer blocks in groups of about {@code chunkBytes}
 * of weights and KV cache (at least one block per graph), then one graph for the final norm
 * and LM head, run in that order for each pass. A graph owns its blocks' weights and KV caches
 * (uploaded on its first run, so weights reach the device a chunk at a time); the activations and
 * the pass's {@link #state} are handed from graph to graph on the device ({@code persistOnDevice}
 * / {@code consumeFromDevice}). Fewer, larger graphs mean fewer waits for the device per pass.
 * Per pass only {@link #state} and the embedded rows {@link #x} go in, and only the wanted rows
 * of {@link #logits} come out.
 */
final class LayerGraphs {

    static final String BLOCKS = "blocks", HEAD = "head";

    /** A device array whose host copy is filled from the model right before its first upload. */
    record Upload(DeviceMatrix matrix, TornadoNativeArray array) {
    }

    /** One graph's weights and KV cache on their way to the device. */
    record Chunk(String what, HostStaging staging, List<Upload> uploads) {
        long bytes() {
            return staging.bytes();
        }
    }

    final int rowsMax, outsMax;
    /** Graphs of blocks; the LM head's graph follows them. */
    final int blockGraphs;
    final IntArray state;
    final FloatArray x, logits;
    /** The final norm's output for the rows whose logits are wanted (hidden states, for embeddings). */
    final FloatArray xh;
    final List<ImmutableTaskGraph> graphs = new ArrayList<>();
    final List<Chunk> chunks = new ArrayList<>();
    final GridScheduler grids = new GridScheduler();

    private final Architecture a;
    private final Object[] shared;
    private int tasks;

    /**
     * @param tables   each block's positional tables (blocks sharing an encoder share the object)
     * @param capacity positions per KV slot
     * @param slots    KV slots, one per sequence held at once; also the most rows whose logits one pass returns
     * @param rowsMax  the most rows one pass runs
     * @param chunkBytes weights and KV cache per graph of blocks, at most (unless one block is larger)
     */
    LayerGraphs(Architecture a, DeviceWeights w, List<PositionTables> tables, int capacity, int slots, int rowsMax, long chunkBytes) {
        this.a = a;
        this.rowsMax = rowsMax;
        this.outsMax = slots;
        int C = a.nEmb(), qkvDim = a.qDim() + 2 * a.kvDim();
        state = new IntArray(Kernels.OUT_LIST + outsMax + 2 * rowsMax);
        state.init(0);
        state.set(Kernels.ROW_BASE, Kernels.OUT_LIST + outsMax);
        x = new FloatArray(Math.multiplyExact(rowsMax, C));
        FloatArray xb = new FloatArray(Math.multiplyExact(rowsMax, C));
        FloatArray qkv = new FloatArray(Math.multiplyExact(rowsMax, qkvDim));
        FloatArray att = new FloatArray(Math.multiplyExact(rowsMax, a.qDim()));
        FloatArray hb = new FloatArray(Math.multiplyExact(rowsMax, a.nHidden()));
        // Every encoder's tables in one array each, so that every graph uses (and hands on) the same arrays.
        Map<PositionTables, Integer> encoders = new IdentityHashMap<>();
        for (PositionTables t : tables) encoders.putIfAbsent(t, encoders.size());
        PositionTables[] byIndex = new PositionTables[encoders.size()];
        encoders.forEach((t, e) -> byIndex[e] = t);
        int[] d = new int[Kernels.DIMS_SIZE + byIndex.length * Kernels.ENCODER_SIZE];
        dims(a, capacity, w.qkNorms, d);
        FloatArray rotation = concat(byIndex, PositionTables::rotation, d, Kernels.ROTATION_AT);
        FloatArray bias = concat(byIndex, PositionTables::bias, d, Kernels.BIAS_AT);
        int[] rd = new int[Math.max(1, byIndex.length * 3 * a.headDim())];
        for (int e = 0; e < byIndex.length; e++) {
            PositionTables t = byIndex[e];
            int at = Kernels.DIMS_SIZE + e * Kernels.ENCODER_SIZE;
            d[at + Kernels.USE_ROTATION] = t.rotation() == null ? 0 : 1;
            d[at + Kernels.ROTATION_STRIDE] = t.nPairs() * 4;
            d[at + Kernels.ROT_DIMS_AT] = e * 3 * a.headDim();
            d[at + Kernels.USE_BIAS] = t.bias() == null ? 0 : 1;
            d[at + Kernels.POSITIONS] = t.positions();
            if (t.rotation() != null) System.arraycopy(t.rotationDims(a.headDim()), 0, rd, e * 3 * a.headDim(), 3 * a.headDim());
        }
        IntArray rotDims = IntArray.fromArray(rd), dims = IntArray.fromArray(d);
        shared = new Object[]{state, x, xb, qkv, att, hb, rotation, rotDims, bias, dims};
        long kvPerLayer = kvBytes(a, capacity, slots) / (2L * a.nLayer() * Float.BYTES);

        int first = 0, group = 0;
        while (first < a.nLayer()) {
            int end = first + 1;
            long bytes = layerBytes(w.layers.get(first), kvPerLayer);
            while (end < a.nLayer() && bytes + layerBytes(w.layers.get(end), kvPerLayer) <= chunkBytes) bytes += layerBytes(w.layers.get(end++), kvPerLayer);
            String name = BLOCKS + group;
            TaskGraph tg = new TaskGraph(name);
            if (group == 0) {
                tg.transferToDevice(DataTransferMode.EVERY_EXECUTION, state, x);
                tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, xb, qkv, att, hb, rotation, rotDims, bias, dims);
            } else {
                tg.consumeFromDevice(BLOCKS + (group - 1), shared);
            }
            Chunk chunk = new Chunk(end - first == 1 ? "block " + first : "blocks " + first + "-" + (end - 1), new HostStaging(), new ArrayList<>());
            KernelContext ctx = new KernelContext();
            Dummies none = new Dummies();
            List<Object> once = new ArrayList<>(none.all());
            List<Object[]> arrays = new ArrayList<>();
            for (int l = first; l < end; l++) {
                DeviceWeights.Layer layer = w.layers.get(l);
                // keys, values, then the weights of q/k/v, o, up, down
                Object[] la = {kv(chunk, kvPerLayer), kv(chunk, kvPerLayer), upload(chunk, layer.qkv()), upload(chunk, layer.o()),
                        upload(chunk, layer.up()), upload(chunk, layer.down())};
                arrays.add(la);
                once.addAll(List.of(la));
                once.addAll(List.of(layer.qkvBias(), layer.oBias(), layer.upBias(), layer.downBias()));
                if (layer.qNorm() != null) once.addAll(List.of(layer.qNorm(), layer.kNorm()));
                addNorm(once, layer.attnNorm());
                addNorm(once, layer.mlpNorm());
                if (layer.postAttnNorm() != null) addNorm(once, layer.postAttnNorm());
                if (layer.postMlpNorm() != null) addNorm(once, layer.postMlpNorm());
            }
            tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, once.toArray());
            for (int l = first; l < end; l++) {
                DeviceWeights.Layer layer = w.layers.get(l);
                Object[] la = arrays.get(l - first);
                FloatArray keys = (FloatArray) la[0], values = (FloatArray) la[1];
                FloatArray qNorm = layer.qNorm() == null ? none.f : layer.qNorm(), kNorm = layer.kNorm() == null ? none.f : layer.kNorm();
                int encoder = encoders.get(tables.get(l));
                String p = "l" + l + "_";
                norm(tg, ctx, name, p + "attnNorm", layer.attnNorm(), x, xb, 0, 0, rowsMax);
                matmul(tg, ctx, none, name, p + "qkv", layer.qkv(), la[2], layer.qkvBias(), xb, qkv, qkvDim, Kernels.STORE, Kernels.ROWS, rowsMax);
                tg.task(p + "qk", Kernels::qkPrepare, ctx, qkv, keys, values, qNorm, kNorm, rotation, rotDims, state, dims, a.normEps(), encoder);
                grid(name, p + "qk", rowsMax * (a.nHead() + a.nKvHead()));
                tg.task(p + "attend", Kernels::attend, ctx, qkv, keys, values, bias, att, state, dims, a.attnScale(), a.attnSoftcap(),
                        layer.window(), encoder);
                grid(name, p + "attend", rowsMax * a.nHead());
                residual(tg, ctx, none, name, p + "o", layer.o(), la[3], layer.oBias(), att, xb, layer.postAttnNorm());
                norm(tg, ctx, name, p + "mlpNorm", layer.mlpNorm(), x, xb, 0, 0, rowsMax);
                int mode = switch (a.activation()) {
                    case SWIGLU -> Kernels.SWIGLU;
                    case GEGLU -> Kernels.GEGLU;
                    case GELU_TANH -> Kernels.GELU;
                };
                matmul(tg, ctx, none, name, p + "up", layer.up(), la[4], layer.upBias(), xb, hb, a.nHidden(), mode, Kernels.ROWS, rowsMax);
                residual(tg, ctx, none, name, p + "down", layer.down(), la[5], layer.downBias(), hb, xb, layer.postMlpNorm());
            }
            tg.persistOnDevice(shared);
            graphs.add(tg.snapshot());
            chunks.add(chunk);
            first = end;
            group++;
        }
        blockGraphs = group;

        TaskGraph tg = new TaskGraph(HEAD);
        tg.consumeFromDevice(BLOCKS + (blockGraphs - 1), state, x);
        Chunk chunk = new Chunk("LM head", new HostStaging(), new ArrayList<>());
        KernelContext ctx = new KernelContext();
        Dummies none = new Dummies();
        xh = new FloatArray(Math.multiplyExact(outsMax, C));
        logits = new FloatArray(Math.multiplyExact(outsMax, a.nVocab()));
        Object outW = upload(chunk, w.output);
        List<Object> once = new ArrayList<>(List.of(outW, w.outputBias, xh, logits));
        once.addAll(none.all());
        addNorm(once, w.finalNorm);
        tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, once.toArray());
        norm(tg, ctx, HEAD, "finalNorm", w.finalNorm, x, xh, 1, 0, outsMax);
        matmul(tg, ctx, none, HEAD, "output", w.output, outW, w.outputBias, xh, logits, a.nVocab(), Kernels.STORE, Kernels.OUTS, outsMax);
        tg.transferToHost(DataTransferMode.UNDER_DEMAND, logits, xh);
        graphs.add(tg.snapshot());
        chunks.add(chunk);
    }

    private static long layerBytes(DeviceWeights.Layer l, long kvFloats) {
        long n = 2 * kvFloats * Float.BYTES;
        for (DeviceMatrix m : l.matrices()) n += m.dataBytes();
        return n;
    }

    /** Placeholders for the weight arrays of the formats a matrix is not in (a task argument cannot be null). */
    private static final class Dummies {
        final FloatArray f = new FloatArray(1);
        final ShortArray h = new ShortArray(1);
        final ByteArray q = new ByteArray(1);

        List<Object> all() {
            return List.of(f, h, q);
        }
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

    /** Bytes of the activations one pass of {@code rowsMax} rows keeps on the device. */
    static long activationBytes(Architecture a, int rowsMax, int slots) {
        long perRow = 2L * a.nEmb() + a.qDim() + 2L * a.kvDim() + a.qDim() + a.nHidden();
        return (perRow * rowsMax + (long) slots * (a.nEmb() + a.nVocab())) * Float.BYTES;
    }

    /** Tasks in all graphs (each one kernel, compiled on first use). */
    int tasks() {
        return tasks;
    }

    private static void dims(Architecture a, int capacity, boolean qkNorms, int[] d) {
        d[Kernels.GROUP] = a.nHead() / a.nKvHead();
        d[Kernels.HEAD_DIM] = a.headDim();
        d[Kernels.Q_DIM] = a.qDim();
        d[Kernels.KV_DIM] = a.kvDim();
        d[Kernels.CAPACITY] = capacity;
        d[Kernels.USE_QK_NORM] = qkNorms ? 1 : 0;
        d[Kernels.N_HEAD] = a.nHead();
        d[Kernels.N_KV_HEAD] = a.nKvHead();
    }

    /** The encoders' tables of one kind back to back (each one's start in {@code d} at {@code field}); a placeholder when none has one. */
    private static FloatArray concat(PositionTables[] encoders, Function<PositionTables, float[]> table, int[] d, int field) {
        int n = 0;
        for (PositionTables t : encoders) n += table.apply(t) == null ? 0 : table.apply(t).length;
        FloatArray out = new FloatArray(Math.max(1, n));
        int at = 0;
        for (int e = 0; e < encoders.length; e++) {
            float[] v = table.apply(encoders[e]);
            d[Kernels.DIMS_SIZE + e * Kernels.ENCODER_SIZE + field] = at;
            if (v == null) continue;
            for (int i = 0; i < v.length; i++) out.set(at + i, v[i]);
            at += v.length;
        }
        return out;
    }

    private static FloatArray kv(Chunk chunk, long floats) {
        return FloatArray.fromSegmentShallow(chunk.staging().allocate(TornadoNativeArray.ARRAY_HEADER + floats * Float.BYTES));
    }

    private static Object upload(Chunk chunk, DeviceMatrix m) {
        Object array = m.allocate(chunk.staging());
        chunk.uploads().add(new Upload(m, (TornadoNativeArray) array));
        return array;
    }

    private static void addNorm(List<Object> once, DeviceWeights.Norm n) {
        once.add(n.weight());
        if (n.bias() != null) once.add(n.bias());
    }

    private void norm(TaskGraph tg, KernelContext ctx, String graph, String id, DeviceWeights.Norm n, FloatArray in, FloatArray out,
                      int gather, int accumulate, int rows) {
        boolean layerNorm = a.norm() == Architecture.Norm.LAYER_NORM;
        tg.task(id, Kernels::norm, ctx, in, n.weight(), layerNorm ? n.bias() : n.weight(), out, state, a.nEmb(), a.normEps(),
                layerNorm ? 1 : 0, gather, accumulate);
        grid(graph, id, rows);
    }

    /**
     * {@code x += W·in + b}, or with a norm before the residual add (Gemma), {@code x += norm(W·in + b)}
     * by way of {@code scratch}.
     */
    private void residual(TaskGraph tg, KernelContext ctx, Dummies none, String graph, String id, DeviceMatrix m, Object array,
                          FloatArray bias, FloatArray in, FloatArray scratch, DeviceWeights.Norm post) {
        if (post == null) {
            matmul(tg, ctx, none, graph, id, m, array, bias, in, x, a.nEmb(), Kernels.ACCUMULATE, Kernels.ROWS, rowsMax);
        } else {
            matmul(tg, ctx, none, graph, id, m, array, bias, in, scratch, a.nEmb(), Kernels.STORE, Kernels.ROWS, rowsMax);
            norm(tg, ctx, graph, id + "Norm", post, scratch, x, 0, 1, rowsMax);
        }
    }

    private void matmul(TaskGraph tg, KernelContext ctx, Dummies none, String graph, String id, DeviceMatrix m, Object array,
                        FloatArray bias, FloatArray in, FloatArray out, int outFeatures, int mode, int countAt, int rows) {
        FloatArray wf = m.type() == Kernels.F32 ? (FloatArray) array : none.f;
        ShortArray wh = m.type() == Kernels.F16 ? (ShortArray) array : none.h;
        ByteArray wq = m.type() == Kernels.Q8_0 || m.type() == Kernels.Q4_0 ? (ByteArray) array : none.q;
        tg.task(id, Kernels::matmul, ctx, wf, wh, wq, bias, in, out, state, m.type(), m.cols(), outFeatures, mode, countAt);
        int vectorGroups = (outFeatures + Kernels.ROWS_PER_GROUP - 1) / Kernels.ROWS_PER_GROUP;
        int tileGroups = (outFeatures + Kernels.TILE - 1) / Kernels.TILE * ((rows + Kernels.TILE - 1) / Kernels.TILE);
        grid(graph, id, rows > Kernels.MAX_VECTOR_ROWS ? Math.max(vectorGroups, tileGroups) : vectorGroups);
    }

    private void grid(String graph, String task, int groups) {
        WorkerGrid g = new WorkerGrid1D(Math.multiplyExact(groups, WG));
        g.setLocalWork(WG, 1, 1);
        grids.addWorkerGrid(graph + "." + task, g);
        tasks++;
    }
}
