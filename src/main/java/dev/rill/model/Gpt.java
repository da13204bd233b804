package dev.rill.model;

import dev.rill.nn.Attention;
import dev.rill.nn.CrossEntropy;
import dev.rill.nn.Gelu;
import dev.rill.nn.LayerNorm;
import dev.rill.nn.Linear;
import dev.rill.spi.Architecture;
import dev.rill.spi.F32Tensor;
import dev.rill.spi.ModelShape;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.TensorSpec;
import dev.rill.spi.TensorView;
import dev.rill.tensor.Gemm;
import dev.rill.tensor.Parallel;
import dev.rill.tensor.Vec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * GPT-2's decoder in float32 with a hand-written backward pass (after llm.c): token embedding
 * (+ the positional encoder's), {@code nLayer} pre-norm blocks (LayerNorm → causal self-attention →
 * residual → LayerNorm → MLP with GELU → residual), final LayerNorm, LM head tied to the token
 * embedding. All parameters live in one array ({@link #params}), their gradients in another, each
 * tensor at an offset under its Hugging Face GPT-2 name.
 */
public final class Gpt {

    public final GptConfig config;
    public final PositionalEncoder positional;
    public final float[] params;
    public final float[] grads;
    private final Map<String, Param> byName = new LinkedHashMap<>();
    private final List<TensorView> peWeights = new ArrayList<>(), peGrads = new ArrayList<>();

    // Offsets of each block's tensors, indexed by layer.
    private final int[] ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb;
    private final int wte, lnfw, lnfb;

    private Activations acts;

    /** A parameter tensor: its name, where it sits in {@link #params}, its shape, and whether weight decay applies. */
    public record Param(String name, int offset, int[] shape, boolean decay) {
        public int size() {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    public Gpt(GptConfig config, PositionalEncoder positional) {
        this.config = config;
        this.positional = positional;
        int V = config.nVocab(), C = config.nEmb(), L = config.nLayer();
        ln1w = new int[L]; ln1b = new int[L]; qkvw = new int[L]; qkvb = new int[L];
        attprojw = new int[L]; attprojb = new int[L]; ln2w = new int[L]; ln2b = new int[L];
        fcw = new int[L]; fcb = new int[L]; fcprojw = new int[L]; fcprojb = new int[L];
        int[] next = {0};
        wte = add("transformer.wte.weight", next, false, V, C);
        for (TensorSpec spec : positional.parameters()) add(spec.name(), next, spec.decay(), spec.shape());
        for (int l = 0; l < L; l++) {
            String p = "transformer.h." + l + ".";
            ln1w[l] = add(p + "ln_1.weight", next, false, C);
            ln1b[l] = add(p + "ln_1.bias", next, false, C);
            qkvw[l] = add(p + "attn.c_attn.weight", next, true, C, 3 * C);
            qkvb[l] = add(p + "attn.c_attn.bias", next, false, 3 * C);
            attprojw[l] = add(p + "attn.c_proj.weight", next, true, C, C);
            attprojb[l] = add(p + "attn.c_proj.bias", next, false, C);
            ln2w[l] = add(p + "ln_2.weight", next, false, C);
            ln2b[l] = add(p + "ln_2.bias", next, false, C);
            fcw[l] = add(p + "mlp.c_fc.weight", next, true, C, 4 * C);
            fcb[l] = add(p + "mlp.c_fc.bias", next, false, 4 * C);
            fcprojw[l] = add(p + "mlp.c_proj.weight", next, true, 4 * C, C);
            fcprojb[l] = add(p + "mlp.c_proj.bias", next, false, C);
        }
        lnfw = add("transformer.ln_f.weight", next, false, C);
        lnfb = add("transformer.ln_f.bias", next, false, C);
        params = new float[next[0]];
        grads = new float[next[0]];
        for (TensorSpec spec : positional.parameters()) {
            Param p = byName.get(spec.name());
            peWeights.add(new TensorView(params, p.offset(), p.size()));
            peGrads.add(new TensorView(grads, p.offset(), p.size()));
        }
    }

    /** The shape a positional encoder is created for. */
    public static ModelShape shape(GptConfig c) {
        return new ModelShape(c.nEmb(), c.nHead(), c.headDim(), c.T(), c.maxContext());
    }

    private int add(String name, int[] next, boolean decay, int... shape) {
        if (byName.containsKey(name)) throw new IllegalArgumentException("duplicate parameter name " + name);
        Param p = new Param(name, next[0], shape.clone(), decay);
        byName.put(name, p);
        long end = (long) next[0] + p.size();
        if (end > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("model too large for one float array: " + end + " parameters");
        next[0] = (int) end;
        return p.offset();
    }

    /** Every parameter tensor, in storage order. */
    public List<Param> parameters() {
        return List.copyOf(byName.values());
    }

    public Param parameter(String name) {
        return byName.get(name);
    }

    public long parameterCount() {
        return params.length;
    }

    /**
     * GPT-2's initialisation: weights N(0, 0.02), residual projections N(0, 0.02/√(2·nLayer)),
     * biases 0, LayerNorm scales 1; positional tensors as their encoder asks.
     */
    public void initialize(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float projStd = (float) (0.02 / Math.sqrt(2.0 * config.nLayer()));
        Map<String, Float> peStd = new LinkedHashMap<>();
        for (TensorSpec s : positional.parameters()) peStd.put(s.name(), s.initStd());
        for (Param p : byName.values()) {
            String n = p.name();
            float std;
            if (n.endsWith("ln_1.weight") || n.endsWith("ln_2.weight") || n.endsWith("ln_f.weight")) {
                java.util.Arrays.fill(params, p.offset(), p.offset() + p.size(), 1f);
                continue;
            } else if (n.endsWith(".bias")) {
                std = 0f;
            } else if (peStd.containsKey(n)) {
                std = peStd.get(n);
            } else if (n.endsWith("c_proj.weight")) {
                std = projStd;
            } else {
                std = 0.02f;
            }
            for (int i = 0; i < p.size(); i++) params[p.offset() + i] = std == 0f ? 0f : (float) (random.nextGaussian() * std);
        }
    }

    public void zeroGrad() {
        java.util.Arrays.fill(grads, 0f);
    }

    // ---------------------------------------------------------------- forward and backward

    /**
     * Runs the model on {@code inputs (B, T)}. With {@code targets} (same shape) returns the mean
     * cross-entropy over the targets that are not {@link CrossEntropy#IGNORE} and keeps what
     * {@link #backward} needs; without, returns NaN and leaves the logits {@code (B, T, nVocab)} in
     * {@link #logits()}.
     */
    public double forward(int[] inputs, int[] targets, int B, int T) {
        int V = config.nVocab(), C = config.nEmb(), NH = config.nHead(), L = config.nLayer();
        if (T > config.maxContext()) {
            throw new IllegalArgumentException("sequence length " + T + " exceeds the model's maximum context "
                    + (config.maxContext() == config.T() ? "(its training context T=" + config.T() + ")" : config.maxContext()));
        }
        if (T > positional.maxPositions()) {
            throw new IllegalArgumentException("sequence length " + T + " exceeds the " + positional.maxPositions()
                    + " positions of positional encoding '" + config.positional() + "'");
        }
        for (int i = 0; i < B * T; i++) {
            if (inputs[i] < 0 || inputs[i] >= V) throw new IllegalArgumentException("token " + inputs[i] + " outside the vocabulary [0, " + V + ")");
        }
        Activations a = activations(B, T);
        int N = B * T;
        a.probsReady = false;   // until this forward's loss is in: backward needs the activations of one forward with targets
        a.inputs = inputs;
        a.targets = targets;

        // x = wte[token] (+ positional embedding)
        Parallel.forRange(N, 64, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                System.arraycopy(params, wte + inputs[n] * C, a.encoded, n * C, C);
                if (positional.addsToEmbeddings()) positional.embed(peWeights, a.encoded, n * C, n % T);
            }
        });

        for (int l = 0; l < L; l++) {
            LayerActs la = a.layers[l];
            float[] residual = l == 0 ? a.encoded : a.layers[l - 1].residual3;
            // The LayerNorm outputs go to scratch (scratchC), and backward recomputes them from the
            // residuals and their mean and rstd: one cheap pass instead of 2·N·C floats a layer.
            // GELU's output is kept (4·N·C floats a layer) and, with targets, fch is overwritten by
            // GELU's derivative, backward's only use for it: recomputing both there took two more
            // passes with an exponential per value (~4 % of a config-S step).
            LayerNorm.forward(a.scratchC, la.ln1Mean, la.ln1Rstd, residual, params, ln1w[l], params, ln1b[l], N, C);
            Linear.forward(la.qkv, a.scratchC, params, qkvw[l], params, qkvb[l], N, C, 3 * C);
            Attention.rotate(la.qkv, positional, B, T, C, NH);
            Attention.forward(la.atty, la.lse, la.qkv, positional, B, T, C, NH);
            Linear.forward(a.scratchC, la.atty, params, attprojw[l], params, attprojb[l], N, C, C);
            Vec.sum(residual, 0, a.scratchC, 0, la.residual2, 0, N * C);
            LayerNorm.forward(a.scratchC, la.ln2Mean, la.ln2Rstd, la.residual2, params, ln2w[l], params, ln2b[l], N, C);
            Linear.forward(la.fch, a.scratchC, params, fcw[l], params, fcb[l], N, C, 4 * C);
            if (targets != null) Gelu.forwardSavingGrad(la.gelu, la.fch, N * 4 * C);
            else Gelu.forward(la.gelu, la.fch, N * 4 * C);
            Linear.forward(a.scratchC, la.gelu, params, fcprojw[l], params, fcprojb[l], N, 4 * C, C);
            Vec.sum(la.residual2, 0, a.scratchC, 0, la.residual3, 0, N * C);
        }
        float[] last = a.layers[L - 1].residual3;
        LayerNorm.forward(a.lnf, a.lnfMean, a.lnfRstd, last, params, lnfw, params, lnfb, N, C);
        // Tied head: logits = lnf · wteᵀ.
        Gemm.transpose(params, wte, V, C, C, a.wT, 0);
        Gemm.gemm(N, V, C, a.lnf, 0, C, 1, a.wT, 0, V, a.logits, 0, V, false);
        if (targets == null) return Double.NaN;
        for (int i = 0; i < N; i++) {
            if ((targets[i] < 0 && targets[i] != CrossEntropy.IGNORE) || targets[i] >= V) {
                throw new IllegalArgumentException("target " + targets[i] + " outside the vocabulary [0, " + V + ") and not IGNORE (-1)");
            }
        }
        a.loss = CrossEntropy.forward(a.logits, targets, N, V);
        a.counted = CrossEntropy.counted(targets, N);
        a.probsReady = true;
        return a.loss;
    }

    /** Accumulates into {@link #grads} the gradient of the mean loss of the last {@link #forward} with targets (the targets that count). */
    public void backward() {
        Activations a = acts;
        if (a == null || !a.probsReady) throw new IllegalStateException("backward() needs a forward() with targets first");
        int B = a.B, T = a.T, N = B * T;
        int V = config.nVocab(), C = config.nEmb(), NH = config.nHead(), L = config.nLayer();

        CrossEntropy.backward(a.logits, a.targets, N, V, a.counted == 0 ? 0f : 1f / a.counted);   // logits now hold dlogits
        a.probsReady = false;
        // logits = lnf · wteᵀ
        Gemm.gemm(N, C, V, a.logits, 0, V, 1, params, wte, C, a.dC, 0, C, false);           // dlnf = dlogits · wte
        Gemm.gemm(V, C, N, a.logits, 0, 1, V, a.lnf, 0, C, grads, wte, C, true);            // dwte += dlogitsᵀ · lnf
        java.util.Arrays.fill(a.dResidual, 0, N * C, 0f);
        float[] last = a.layers[L - 1].residual3;
        LayerNorm.backward(a.dResidual, grads, lnfw, grads, lnfb, a.dC, last, params, lnfw, a.lnfMean, a.lnfRstd, N, C);

        for (int l = L - 1; l >= 0; l--) {
            LayerActs la = a.layers[l];
            float[] residual = l == 0 ? a.encoded : a.layers[l - 1].residual3;
            // residual3 = residual2 + c_proj(gelu(c_fc(ln2(residual2))))
            Linear.backward(a.d4C, false, grads, fcprojw[l], grads, fcprojb[l], a.dResidual, la.gelu,
                    params, fcprojw[l], a.wT, N, 4 * C, C);
            Gelu.backwardSaved(la.fch, a.d4C, N * 4 * C);                                   // fch holds gelu'
            LayerNorm.forward(a.scratchC, null, null, la.residual2, params, ln2w[l], params, ln2b[l], N, C);
            Linear.backward(a.dC, false, grads, fcw[l], grads, fcb[l], a.d4C, a.scratchC, params, fcw[l], a.wT, N, C, 4 * C);
            LayerNorm.backward(a.dResidual, grads, ln2w[l], grads, ln2b[l], a.dC, la.residual2, params, ln2w[l],
                    la.ln2Mean, la.ln2Rstd, N, C);
            // residual2 = residual + c_proj(attention(c_attn(ln1(residual))))
            Linear.backward(a.dC, false, grads, attprojw[l], grads, attprojb[l], a.dResidual, la.atty,
                    params, attprojw[l], a.wT, N, C, C);
            Attention.backward(a.d4C, a.dC, la.qkv, la.lse, positional, B, T, C, NH);      // d4C holds dqkv
            Attention.rotateBackward(a.d4C, positional, B, T, C, NH);
            LayerNorm.forward(a.scratchC, null, null, residual, params, ln1w[l], params, ln1b[l], N, C);
            Linear.backward(a.dC, false, grads, qkvw[l], grads, qkvb[l], a.d4C, a.scratchC, params, qkvw[l], a.wT, N, C, 3 * C);
            LayerNorm.backward(a.dResidual, grads, ln1w[l], grads, ln1b[l], a.dC, residual, params, ln1w[l],
                    la.ln1Mean, la.ln1Rstd, N, C);
        }
        // x = wte[token] + pe: the embedding rows of the tokens get the residual gradient.
        int[] inputs = a.inputs;
        Parallel.forRange(C, 16, (c0, c1) -> {
            for (int n = 0; n < N; n++) Vec.add(a.dResidual, n * C + c0, grads, wte + inputs[n] * C + c0, c1 - c0);
        });
        if (positional.addsToEmbeddings()) {
            for (int n = 0; n < N; n++) positional.embedBackward(peWeights, peGrads, a.dResidual, n * C, n % T);
        }
    }

    /** Logits {@code (B, T, nVocab)} of the last {@link #forward} without targets. */
    public float[] logits() {
        return acts.logits;
    }

    // ---------------------------------------------------------------- inference view

    /** The weights as a {@link ModelWeights} for a compute backend (views into {@link #params}, no copy). */
    public ModelWeights weights() {
        int V = config.nVocab(), C = config.nEmb(), L = config.nLayer(), hs = config.headDim();
        var arch = new Architecture(V, C, L, config.nHead(), config.nHead(), hs, 4 * C, config.T(),
                config.maxContext(), Architecture.Norm.LAYER_NORM, LayerNorm.EPS, Architecture.Activation.GELU_TANH);
        List<ModelWeights.Block> blocks = new ArrayList<>();
        for (int l = 0; l < L; l++) {
            var qkv = qkvw[l];
            blocks.add(new ModelWeights.Block(
                    norm(ln1w[l], ln1b[l], C),
                    inOut(qkv, C, C, 3 * C, qkvb[l]),
                    inOut(qkv + C, C, C, 3 * C, qkvb[l] + C),
                    inOut(qkv + 2 * C, C, C, 3 * C, qkvb[l] + 2 * C),
                    inOut(attprojw[l], C, C, C, attprojb[l]),
                    null, null,
                    norm(ln2w[l], ln2b[l], C),
                    inOut(fcw[l], C, 4 * C, 4 * C, fcb[l]),
                    null,
                    inOut(fcprojw[l], 4 * C, C, C, fcprojb[l])));
        }
        F32Tensor embedding = F32Tensor.of(params, wte, V, C);
        return new ModelWeights(arch, positional, embedding, List.copyOf(peWeights), blocks, norm(lnfw, lnfb, C),
                new dev.rill.spi.Linear(embedding, null, dev.rill.spi.Linear.Layout.OUT_IN));
    }

    private ModelWeights.NormWeights norm(int w, int b, int C) {
        return new ModelWeights.NormWeights(F32Tensor.vector(params, w, C), F32Tensor.vector(params, b, C));
    }

    private dev.rill.spi.Linear inOut(int w, int in, int out, int stride, int bias) {
        return new dev.rill.spi.Linear(new F32Tensor(params, w, in, out, stride), F32Tensor.vector(params, bias, out),
                dev.rill.spi.Linear.Layout.IN_OUT);
    }

    // ---------------------------------------------------------------- activations

    private Activations activations(int B, int T) {
        if (acts == null || acts.B != B || acts.T != T) {
            acts = null; // let the old buffers go before allocating new ones
            acts = new Activations(config, B, T);
        }
        return acts;
    }

    /** Frees the activation buffers (they are re-made at the next forward). */
    public void releaseActivations() {
        acts = null;
    }

    /** Bytes the activation buffers take for a batch of {@code B × T}. */
    public static long activationBytes(GptConfig c, int B, int T) {
        long N = (long) B * T, C = c.nEmb();
        long perLayer = N * C * 14 + N * 4 + (long) B * c.nHead() * T;
        long rest = N * C * 9 + N * c.nVocab() + N * 2 + Math.max((long) c.nVocab() * C, 4L * C * C);
        return 4 * (perLayer * c.nLayer() + rest);
    }

    /**
     * What backward needs of one layer: the residual stream, the LayerNorm statistics, qkv,
     * the attention output and log-sum-exps, the MLP's pre-activation (GELU's derivative once a
     * forward with targets has run) and GELU's output.
     */
    private static final class LayerActs {
        final float[] ln1Mean, ln1Rstd, qkv, lse, atty, residual2, ln2Mean, ln2Rstd, fch, gelu, residual3;

        LayerActs(int B, int T, int C, int NH) {
            int N = B * T;
            ln1Mean = new float[N]; ln1Rstd = new float[N];
            qkv = new float[N * 3 * C];
            lse = new float[Math.multiplyExact(B * NH, T)];
            atty = new float[N * C];
            residual2 = new float[N * C];
            ln2Mean = new float[N]; ln2Rstd = new float[N];
            fch = new float[N * 4 * C];
            gelu = new float[N * 4 * C];
            residual3 = new float[N * C];
        }
    }

    private static final class Activations {
        final int B, T;
        final float[] encoded, lnf, lnfMean, lnfRstd, logits, scratchC;
        final float[] dResidual, dC, d4C, wT;
        final LayerActs[] layers;
        int[] inputs, targets;
        int counted;
        double loss;
        boolean probsReady;

        Activations(GptConfig c, int B, int T) {
            this.B = B;
            this.T = T;
            int N = Math.multiplyExact(B, T), C = c.nEmb(), V = c.nVocab();
            encoded = new float[N * C];
            layers = new LayerActs[c.nLayer()];
            for (int l = 0; l < layers.length; l++) layers[l] = new LayerActs(B, T, C, c.nHead());
            lnf = new float[N * C]; lnfMean = new float[N]; lnfRstd = new float[N];
            logits = new float[Math.multiplyExact(N, V)];
            scratchC = new float[N * C];
            dResidual = new float[N * C];
            dC = new float[N * C];
            d4C = new float[N * 4 * C];
            wT = new float[Math.max(V * C, 4 * C * C)];
        }
    }
}
