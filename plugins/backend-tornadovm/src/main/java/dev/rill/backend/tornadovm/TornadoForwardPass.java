package dev.rill.backend.tornadovm;

import dev.rill.spi.Architecture;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.PositionalEncoder;
import uk.ac.manchester.tornado.api.DataRange;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A model on a TornadoVM device. A pass runs many rows at once through the {@link LayerGraphs}:
 * a prompt in chunks of up to {@code prefill-rows} tokens, a batched decode step one row per
 * sequence, every sequence in its own KV slot. Token embeddings are looked up on the host (only
 * the rows go to the device), logits come back only for the rows that need them.
 */
final class TornadoForwardPass implements ForwardPass {

    private static final Logger LOG = Logger.getLogger(TornadoForwardPass.class.getName());

    private final ModelWeights weights;
    private final Architecture a;
    private final PositionalEncoder pe;
    private final LayerGraphs graphs;
    private final TornadoExecutionPlan plan;
    private final TornadoDevice device;
    private final int capacity;
    private final boolean[] slotTaken;
    private final float[] row;
    private boolean closed;

    private TornadoForwardPass(ModelWeights weights, LayerGraphs graphs, TornadoExecutionPlan plan, TornadoDevice device, int capacity) {
        this.weights = weights;
        this.a = weights.arch();
        this.pe = weights.positional();
        this.graphs = graphs;
        this.plan = plan;
        this.device = device;
        this.capacity = capacity;
        this.slotTaken = new boolean[graphs.outsMax];
        this.row = new float[a.nEmb()];
    }

    /**
     * Lays the weights out for the device, tabulates the positional encoding, builds the graphs,
     * then runs one pass graph by graph: each graph's weights are read from the model (the mapped
     * file) and uploaded as it first runs, with its kernels compiled, the progress shown.
     */
    static TornadoForwardPass create(ModelWeights weights, TornadoVmBackend.Settings settings) {
        Architecture a = weights.arch();
        check(a);
        int want = settings.context() > 0 ? settings.context() : a.maxContext();
        int covered = Integer.MAX_VALUE;
        for (int l = 0; l < a.nLayer(); l++) covered = Math.min(covered, weights.positional(l).maxPositions());
        int capacity = Math.min(want, covered);
        if (capacity <= 0) throw new IllegalArgumentException("no positions to run: context " + want + ", positional encoding covers " + covered);
        TornadoDevice device = Devices.select(settings.device());
        // One set of tables per positional encoder (Gemma 3's local layers have their own).
        Map<PositionalEncoder, PositionTables> byEncoder = new IdentityHashMap<>();
        List<PositionTables> tables = new ArrayList<>();
        for (int l = 0; l < a.nLayer(); l++) {
            PositionalEncoder pe = weights.positional(l);
            tables.add(byEncoder.computeIfAbsent(pe, e -> PositionTables.of(e, weights.positionalWeights(), describe(e), a.nEmb(), a.nHead(),
                    a.headDim(), capacity)));
        }
        DeviceWeights w = new DeviceWeights(weights);
        int slots = settings.maxSequences(), rowsMax = Math.max(slots, settings.prefillRows());
        long weightBytes = w.matrixBytes() + w.vectorBytes(), kvBytes = LayerGraphs.kvBytes(a, capacity, slots);
        long need = weightBytes + kvBytes + LayerGraphs.activationBytes(a, rowsMax, slots);
        String needs = String.format("the model needs %.2f GiB on the device (weights %.2f, KV cache %.2f for %d sequences of %d positions)",
                gib(need), gib(weightBytes), gib(kvBytes), slots, capacity);
        if (need > device.getMaxGlobalMemory()) {
            throw new IllegalArgumentException(String.format("%s; %s has %.2f GiB", needs, Devices.describe(device), gib(device.getMaxGlobalMemory())));
        }
        if (need > Devices.heapBytes()) {
            throw new IllegalArgumentException(String.format("%s; TornadoVM's device heap is %.2f GiB: raise it with -Dtornado.device.memory=<size>GB",
                    needs, gib(Devices.heapBytes())));
        }
        LayerGraphs graphs = new LayerGraphs(a, w, tables, capacity, slots, rowsMax, (long) settings.chunkMib() << 20);
        TornadoExecutionPlan plan = new TornadoExecutionPlan(graphs.graphs.toArray(ImmutableTaskGraph[]::new));
        plan.withDevice(device).withGridScheduler(graphs.grids);
        if (!settings.fastMath()) {
            // TornadoVM's default OpenCL flags relax IEEE maths; keep exp/tanh/sqrt as the cpu backend computes them.
            plan.withCompilerFlags(TornadoVMBackendType.OPENCL, "-w");
        }
        TornadoForwardPass pass = new TornadoForwardPass(weights, graphs, plan, device, capacity);
        long t0 = System.nanoTime();
        try {
            pass.upload(w);
        } catch (RuntimeException e) {
            pass.close();
            throw e;
        }
        LOG.info(() -> String.format("tornadovm: %d kernels compiled and %.1f MiB of weights (%s) uploaded to %s in %.1f s; %d graphs, %d rows per pass, %d sequences",
                graphs.tasks(), weightBytes / 1048576.0, w.formats(), Devices.describe(device), (System.nanoTime() - t0) / 1e9,
                graphs.graphs.size(), rowsMax, slots));
        return pass;
    }

    private static void check(Architecture a) {
        if (a.nKvHead() <= 0 || a.nHead() % a.nKvHead() != 0) {
            throw new IllegalArgumentException("nHead " + a.nHead() + " is not a multiple of nKvHead " + a.nKvHead());
        }
        if (a.headDim() > Kernels.WG) {
            throw new IllegalArgumentException("heads of " + a.headDim() + " dimensions; the tornadovm backend runs heads of up to " + Kernels.WG);
        }
    }

    /** The first pass (position 0 of slot 0, overwritten later), graph by graph: fill, upload, free the host copy. */
    private void upload(DeviceWeights w) {
        long total = 0;
        for (LayerGraphs.Chunk c : graphs.chunks) total += c.bytes();
        UploadProgress progress = new UploadProgress(Devices.describe(device), total);
        setRows(new int[]{0}, new int[]{0}, new int[]{0});
        graphs.state.set(Kernels.OUTS, 1);
        graphs.state.set(Kernels.OUT_LIST, 0);
        for (int g = 0; g < graphs.graphs.size(); g++) {
            LayerGraphs.Chunk c = graphs.chunks.get(g);
            for (LayerGraphs.Upload u : c.uploads()) u.matrix().fill(u.array().getSegment());
            execute(g);
            c.staging().close();
            progress.advance(c.bytes(), c.what());
        }
    }

    @Override
    public ModelWeights weights() {
        return weights;
    }

    @Override
    public KvCache newCache(int capacity) {
        ensureOpen();
        if (capacity <= 0) throw new IllegalArgumentException("cache capacity must be > 0");
        if (capacity > this.capacity) {
            throw new IllegalArgumentException("a cache of " + capacity + " positions does not fit the device's " + this.capacity
                    + " per sequence (tornadovm parameter 'context')");
        }
        for (int s = 0; s < slotTaken.length; s++) {
            if (!slotTaken[s]) {
                slotTaken[s] = true;
                return new TornadoKvCache(this, s, capacity);
            }
        }
        throw new IllegalStateException("all " + slotTaken.length + " KV slots on the device are in use; close a cache or raise the tornadovm parameter 'max-sequences'");
    }

    void release(int slot) {
        slotTaken[slot] = false;
    }

    @Override
    public void forward(KvCache cache, int[] tokens, int from, int to, float[] logits) {
        ensureOpen();
        if (to <= from) throw new IllegalArgumentException("no tokens to run");
        if (logits.length < a.nVocab()) throw new IllegalArgumentException("logits array of " + logits.length + " < nVocab " + a.nVocab());
        TornadoKvCache c = own(cache);
        for (int i = from; i < to; i++) checkRow(tokens[i], c.length() + i - from, c);
        for (int start = from; start < to; start += graphs.rowsMax) {
            int M = Math.min(graphs.rowsMax, to - start);
            int[] toks = new int[M], pos = new int[M], slots = new int[M];
            for (int r = 0; r < M; r++) {
                toks[r] = tokens[start + r];
                pos[r] = c.length() + r;
                slots[r] = c.slot;
            }
            boolean last = start + M == to;
            run(toks, pos, slots, last ? new int[]{M - 1} : new int[0], last ? new float[][]{logits} : new float[0][], null);
            c.advance(M);
        }
    }

    /**
     * Every row's output of the final norm comes back from the head (which computes their logits
     * too, unused), so a pass runs at most as many rows as it returns logits for ({@code max-sequences}).
     */
    @Override
    public boolean hiddenStates(KvCache cache, int[] tokens, int from, int to, float[] hiddenSum) {
        ensureOpen();
        if (to <= from) throw new IllegalArgumentException("no tokens to run");
        if (hiddenSum.length != a.nEmb()) throw new IllegalArgumentException("hidden states have " + a.nEmb() + " values, not " + hiddenSum.length);
        TornadoKvCache c = own(cache);
        for (int i = from; i < to; i++) checkRow(tokens[i], c.length() + i - from, c);
        int step = Math.min(graphs.rowsMax, graphs.outsMax);
        for (int start = from; start < to; start += step) {
            int M = Math.min(step, to - start);
            int[] toks = new int[M], pos = new int[M], slots = new int[M], outs = new int[M];
            float[][] unused = new float[M][a.nVocab()];
            for (int r = 0; r < M; r++) {
                toks[r] = tokens[start + r];
                pos[r] = c.length() + r;
                slots[r] = c.slot;
                outs[r] = r;
            }
            run(toks, pos, slots, outs, unused, hiddenSum);
            c.advance(M);
        }
        return true;
    }

    @Override
    public void decode(KvCache[] caches, int[] tokens, float[][] logits) {
        ensureOpen();
        int n = caches.length;
        TornadoKvCache[] cs = new TornadoKvCache[n];
        int[] pos = new int[n], slots = new int[n], outs = new int[n];
        for (int i = 0; i < n; i++) {
            cs[i] = own(caches[i]);
            for (int j = 0; j < i; j++) if (cs[j] == cs[i]) throw new IllegalArgumentException("one cache twice in a decode batch");
            checkRow(tokens[i], cs[i].length(), cs[i]);
            if (logits[i].length < a.nVocab()) throw new IllegalArgumentException("logits array of " + logits[i].length + " < nVocab " + a.nVocab());
            pos[i] = cs[i].length();
            slots[i] = cs[i].slot;
            outs[i] = i;
        }
        if (n == 0) return;
        run(java.util.Arrays.copyOf(tokens, n), pos, slots, outs, logits, null);
        for (TornadoKvCache c : cs) c.advance(1);
    }

    private void checkRow(int token, int pos, TornadoKvCache c) {
        if (token < 0 || token >= a.nVocab()) throw new IllegalArgumentException("token " + token + " outside the vocabulary [0, " + a.nVocab() + ")");
        if (pos >= c.capacity()) throw new IllegalArgumentException("position " + pos + " beyond the cache's " + c.capacity() + " positions");
    }

    /**
     * One pass: rows {@code tokens[r]} at {@code pos[r]} of KV slot {@code slots[r]}; the logits of rows
     * {@code outs[k]} into {@code logits[k]}, and with {@code hiddenSum} their final norm's outputs added into it.
     */
    private void run(int[] tokens, int[] pos, int[] slots, int[] outs, float[][] logits, float[] hiddenSum) {
        int C = a.nEmb(), V = a.nVocab();
        MemorySegment x = graphs.x.getSegment();
        for (int r = 0; r < tokens.length; r++) {
            weights.tokenEmbedding().dequantizeRow(tokens[r], row, 0);
            if (a.embeddingScale() != 1f) for (int i = 0; i < C; i++) row[i] *= a.embeddingScale();
            if (pe.addsToEmbeddings()) pe.embed(weights.positionalWeights(), row, 0, pos[r]);
            MemorySegment.copy(row, 0, x, ValueLayout.JAVA_FLOAT, (long) r * C * Float.BYTES, C);
        }
        setRows(tokens, pos, slots);
        graphs.state.set(Kernels.OUTS, outs.length);
        for (int k = 0; k < outs.length; k++) graphs.state.set(Kernels.OUT_LIST + k, outs[k]);
        for (int g = 0; g < graphs.blockGraphs; g++) execute(g);
        if (outs.length == 0) return;
        TornadoExecutionResult result = execute(graphs.blockGraphs);
        result.transferToHost(new DataRange(graphs.logits).withSize((long) outs.length * V));
        if (hiddenSum != null) {
            result.transferToHost(new DataRange(graphs.xh).withSize((long) outs.length * C));
            MemorySegment h = graphs.xh.getSegment();
            for (int k = 0; k < outs.length; k++) {
                for (int i = 0; i < C; i++) hiddenSum[i] += h.getAtIndex(ValueLayout.JAVA_FLOAT, (long) k * C + i);
            }
        }
        MemorySegment l = graphs.logits.getSegment();
        float cap = a.finalSoftcap();
        for (int k = 0; k < outs.length; k++) {
            MemorySegment.copy(l, ValueLayout.JAVA_FLOAT, (long) k * V * Float.BYTES, logits[k], 0, V);
            // Gemma 2's soft-capped logits, on the host as on the cpu: the logits are here anyway.
            if (cap > 0) for (int i = 0; i < V; i++) logits[k][i] = (float) (cap * Math.tanh(logits[k][i] / cap));
        }
    }

    private void setRows(int[] tokens, int[] pos, int[] slots) {
        graphs.state.set(Kernels.ROWS, tokens.length);
        int base = graphs.state.get(Kernels.ROW_BASE);
        for (int r = 0; r < tokens.length; r++) {
            graphs.state.set(base + 2 * r, pos[r]);
            graphs.state.set(base + 2 * r + 1, slots[r]);
        }
    }

    private TornadoExecutionResult execute(int graph) {
        try {
            return plan.withGraph(graph).execute();
        } catch (RuntimeException e) {
            // TornadoVM reports most failures as a bare "bailout"; name the usual causes.
            throw new IllegalStateException("tornadovm pass failed on " + Devices.describe(device) + ": " + DeviceProbe.plain(e.getMessage())
                    + " (usual causes: a kernel the device cannot compile, see -Dtornado.debug=True; a graph bigger than -D"
                    + DeviceProbe.BYTECODE_SIZE + ")", e);
        }
    }

    private TornadoKvCache own(KvCache cache) {
        if (!(cache instanceof TornadoKvCache c) || c.owner != this) {
            throw new IllegalArgumentException("this KV cache was not made by this tornadovm model");
        }
        if (c.closed()) throw new IllegalStateException("this KV cache is closed");
        return c;
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("this tornadovm model is closed");
    }

    /** Frees the device memory of weights, activations and KV caches. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            plan.close();
        } catch (Exception e) {
            LOG.warning("tornadovm: freeing device memory failed: " + e);
        } finally {
            for (LayerGraphs.Chunk c : graphs.chunks) c.staging().close();
        }
    }

    private static String describe(PositionalEncoder pe) {
        Class<?> c = pe.getClass();
        return (c.getEnclosingClass() != null ? c.getEnclosingClass() : c).getSimpleName();
    }

    private static double gib(long bytes) {
        return bytes / (1024.0 * 1024 * 1024);
    }
}
