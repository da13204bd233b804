package dev.rill.backend.tornadovm;

import dev.rill.spi.Architecture;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.PositionalEncoder;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.logging.Logger;

/**
 * A model on a TornadoVM device. Every call runs its tokens one at a time through the
 * {@link StepGraph} (a prompt too: there is no batched prefill on the device yet); the logits are
 * copied back only after the last token. Sequences take KV slots, given back when their cache closes.
 */
final class TornadoForwardPass implements ForwardPass {

    private static final Logger LOG = Logger.getLogger(TornadoForwardPass.class.getName());

    private final ModelWeights weights;
    private final Architecture a;
    private final PositionalEncoder pe;
    private final StepGraph step;
    private final TornadoExecutionPlan plan;
    private final TornadoExecutionPlan root;
    private final TornadoDevice device;
    private final int capacity;
    private final boolean[] slotTaken;
    private boolean closed;

    private TornadoForwardPass(ModelWeights weights, StepGraph step, TornadoExecutionPlan root, TornadoExecutionPlan plan,
                               TornadoDevice device, int capacity, int slots) {
        this.weights = weights;
        this.a = weights.arch();
        this.pe = weights.positional();
        this.step = step;
        this.root = root;
        this.plan = plan;
        this.device = device;
        this.capacity = capacity;
        this.slotTaken = new boolean[slots];
    }

    /**
     * Packs the weights, tabulates the positional encoding, builds the step graph, then runs one step
     * so that kernels are compiled and weights uploaded now rather than at the first request.
     */
    static TornadoForwardPass create(ModelWeights weights, TornadoVmBackend.Settings settings) {
        Architecture a = weights.arch();
        check(a);
        checkSupported(weights);
        PositionalEncoder pe = weights.positional();
        int want = settings.context() > 0 ? settings.context() : a.maxContext();
        int capacity = Math.min(want, pe.maxPositions());
        if (capacity <= 0) throw new IllegalArgumentException("no positions to run: context " + want + ", positional encoding covers " + pe.maxPositions());
        TornadoDevice device = Devices.select(settings.device());
        PositionTables tables = PositionTables.of(pe, weights.positionalWeights(), describe(pe), a.nEmb(), a.nHead(), a.headDim(), capacity);
        DeviceWeights w = new DeviceWeights(weights);
        long kvBytes = StepGraph.kvBytes(a, capacity, settings.maxSequences()), need = w.bytes() + kvBytes;
        String needs = String.format("the model needs %.2f GiB on the device (weights %.2f, KV cache %.2f for %d sequences of %d positions)",
                gib(need), gib(w.bytes()), gib(kvBytes), settings.maxSequences(), capacity);
        if (need > device.getMaxGlobalMemory()) {
            throw new IllegalArgumentException(String.format("%s; %s has %.2f GiB", needs, Devices.describe(device), gib(device.getMaxGlobalMemory())));
        }
        if (need > Devices.heapBytes()) {
            throw new IllegalArgumentException(String.format("%s; TornadoVM's device heap is %.2f GiB: raise it with -Dtornado.device.memory=<size>GB",
                    needs, gib(Devices.heapBytes())));
        }
        StepGraph step = new StepGraph(a, w, tables, DeviceWeights.qkNorms(weights), capacity, settings.maxSequences());
        TornadoExecutionPlan root = new TornadoExecutionPlan(step.graph);
        TornadoExecutionPlan plan = root.withDevice(device).withGridScheduler(step.grids);
        if (!settings.fastMath()) {
            // TornadoVM's default OpenCL flags relax IEEE maths; keep exp/tanh/sqrt as the cpu backend computes them.
            plan = plan.withCompilerFlags(TornadoVMBackendType.OPENCL, "-w");
        }
        TornadoForwardPass pass = new TornadoForwardPass(weights, step, root, plan, device, capacity, settings.maxSequences());
        long t0 = System.nanoTime();
        try {
            pass.run(0, 0, 0);
        } catch (RuntimeException e) {
            pass.close();
            throw e;
        }
        LOG.info(() -> String.format("tornadovm: %d kernels compiled and %.1f MiB of weights uploaded to %s in %.1f s",
                step.tasks(), w.bytes() / 1048576.0, Devices.describe(device), (System.nanoTime() - t0) / 1e9));
        return pass;
    }

    /** What the device kernels do not compute yet (Gemma's extras): refused, never silently wrong. */
    private static void checkSupported(ModelWeights w) {
        Architecture a = w.arch();
        String missing = null;
        if (a.activation() == Architecture.Activation.GEGLU) missing = "GeGLU";
        else if (a.embeddingScale() != 1f) missing = "embedding scaling";
        else if (a.attnSoftcap() > 0 || a.finalSoftcap() > 0) missing = "soft-capping";
        else if (Math.abs(a.attnScale() * Math.sqrt(a.headDim()) - 1) > 1e-6) missing = "a score scale other than 1/sqrt(headDim)";
        for (ModelWeights.Block b : w.blocks()) {
            if (missing != null) break;
            if (b.postAttnNorm() != null || b.postMlpNorm() != null) missing = "norms after attention or MLP";
            else if (b.slidingWindow() > 0) missing = "sliding-window attention";
            else if (b.positional() != null) missing = "per-layer positional encodings";
        }
        if (missing != null) {
            throw new IllegalArgumentException("the tornadovm backend does not run " + missing + " (Gemma 2/3, Phi-3 with a window) yet; use --backend cpu");
        }
    }

    private static void check(Architecture a) {
        if (a.nKvHead() <= 0 || a.nHead() % a.nKvHead() != 0) {
            throw new IllegalArgumentException("nHead " + a.nHead() + " is not a multiple of nKvHead " + a.nKvHead());
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
        for (int i = from; i < to; i++) {
            int token = tokens[i], pos = c.length();
            if (token < 0 || token >= a.nVocab()) throw new IllegalArgumentException("token " + token + " outside the vocabulary [0, " + a.nVocab() + ")");
            if (pos >= c.capacity()) throw new IllegalArgumentException("position " + pos + " beyond the cache's " + c.capacity() + " positions");
            TornadoExecutionResult result = run(token, pos, c.slot);
            c.advance();
            if (i == to - 1) {
                result.transferToHost(step.logits);
                MemorySegment.copy(step.logits.getSegment(), ValueLayout.JAVA_FLOAT, 0, logits, 0, a.nVocab());
            }
        }
    }

    @Override
    public void decode(KvCache[] caches, int[] tokens, float[][] logits) {
        for (int i = 0; i < caches.length; i++) {
            for (int j = 0; j < i; j++) {
                if (caches[j] == caches[i]) throw new IllegalArgumentException("one cache twice in a decode batch");
            }
        }
        for (int i = 0; i < caches.length; i++) forward(caches[i], tokens, i, i + 1, logits[i]);
    }

    private TornadoExecutionResult run(int token, int pos, int slot) {
        step.state.set(Kernels.TOKEN, token);
        step.state.set(Kernels.POSITION, pos);
        step.state.set(Kernels.SLOT, slot);
        try {
            return plan.execute();
        } catch (RuntimeException e) {
            // TornadoVM reports most failures as a bare "bailout"; name the usual causes.
            throw new IllegalStateException("tornadovm step failed on " + Devices.describe(device) + ": " + DeviceProbe.plain(e.getMessage())
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
            root.close();
        } catch (Exception e) {
            LOG.warning("tornadovm: freeing device memory failed: " + e);
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
