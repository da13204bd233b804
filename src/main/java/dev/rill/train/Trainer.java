package dev.rill.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.generate.GenerationRequest;
import dev.rill.generate.Generator;
import dev.rill.io.AtomicFiles;
import dev.rill.model.Checkpoint;
import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.model.Safetensors;
import dev.rill.plugin.PluginRegistry;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import dev.rill.tensor.Parallel;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Trains a GPT on a text file exactly as the seed describes: tokenizer fitted on the text → token
 * indices → 90/10 train/validation split → each step {@code nBatch} uniform windows of {@code T}
 * tokens with targets shifted by one → logits → mean cross-entropy → backward → AdamW (warm-up,
 * cosine decay, gradient clipping) → periodic validation loss, text sample and checkpoint.
 * Deterministic for a seed; a resumed run continues with the same loss sequence.
 */
public final class Trainer {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long VALIDATION_STREAM = -1L;

    private final PluginRegistry registry;
    private final TrainingListener listener;
    private final ComputeBackend sampleBackend;
    private final int threads;

    /**
     * A trainer computing on {@link Parallel#defaultThreads()} threads, writing no text samples
     * (a run whose {@link TrainConfig#sampleInterval()} asks for them is refused).
     */
    public Trainer(PluginRegistry registry, TrainingListener listener) {
        this(registry, listener, null, Parallel.defaultThreads());
    }

    /**
     * A trainer computing on its own pool of {@code threads} threads (the caller's included) that
     * writes its text samples with {@code sampleBackend} (may be {@code null}: no samples).
     */
    public Trainer(PluginRegistry registry, TrainingListener listener, ComputeBackend sampleBackend, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.registry = registry;
        this.listener = listener == null ? new TrainingListener() {
        } : listener;
        this.sampleBackend = sampleBackend;
        this.threads = threads;
    }

    /** What a run ended with. */
    public record Result(Path checkpoint, int steps, double trainLoss, double valLoss, long parameters) {
    }

    /** Starts a new run: fits the tokenizer, initialises the model, trains, checkpoints. */
    public Result train(TrainConfig config) throws IOException {
        String text = readText(config.data());
        Tokenizer tokenizer = registry.get(Tokenizer.class, config.tokenizer());
        PositionalEncoding encoding = registry.get(PositionalEncoding.class, config.positional());
        Params tokParams = tokenizer.params(config.tokenizerParams());
        Params peParams = encoding.params(config.positionalParams());
        Vocabulary vocab = tokenizer.train(text, tokParams, listener::fittingTokenizer);
        GptConfig gptConfig = new GptConfig(vocab.size(), config.T(), config.nLayer(), config.nHead(), config.nEmb(),
                config.maxContext(), encoding.name(), peParams.asMap());
        PositionalEncoder encoder = encoding.create(Gpt.shape(gptConfig), peParams);
        if (encoder.maxPositions() < gptConfig.maxContext()) {
            // Caught here, not at generation time: a checkpoint promising a context its positions cannot reach.
            throw new IllegalArgumentException("max-context " + gptConfig.maxContext() + " is beyond the " + encoder.maxPositions()
                    + " positions positional encoding '" + encoding.name() + "' defines for T=" + config.T()
                    + "; use max-context 0 (= T) or an encoding that runs past T");
        }
        Gpt model = new Gpt(gptConfig, encoder);
        model.initialize(config.seed());
        int[] tokens = vocab.encode(text);
        return inPool(() -> run(config, tokenizer, vocab, model, tokens,
                new AdamW(model, config.beta1(), config.beta2(), 1e-8, config.weightDecay()), 0, new History(), sha256(text)));
    }

    /** Continues the run whose checkpoint is at {@code dir}, with the settings it was started with. */
    public Result resume(Path dir) throws IOException {
        Checkpoint.Loaded loaded = Checkpoint.load(dir, registry);
        Path trainingFile = loaded.dir().resolve(Checkpoint.TRAINING);
        if (!Files.isRegularFile(trainingFile)) throw new NoSuchFileException(trainingFile + " (this checkpoint has no training state to resume)");
        JsonNode state = JSON.readTree(trainingFile.toFile());
        TrainConfig config = JSON.treeToValue(state.get("config"), TrainConfig.class);
        int step = state.path("step").asInt();
        String text = readText(config.data());
        String hash = sha256(text);
        if (!hash.equals(state.path("data_sha256").asText())) {
            throw new IllegalArgumentException("the data file " + config.data() + " changed since the checkpoint was written; resuming would not continue the same run");
        }
        Tokenizer tokenizer = registry.get(Tokenizer.class, loaded.vocabulary().tokenizer());
        Gpt model = loaded.model();
        AdamW adam = new AdamW(model, config.beta1(), config.beta2(), 1e-8, config.weightDecay());
        Safetensors.Contents opt = Safetensors.read(loaded.dir().resolve(Checkpoint.OPTIMIZER));
        copy(opt, "adam.m", adam.m);
        copy(opt, "adam.v", adam.v);
        History history = History.fromJson(state.path("history"));
        int[] tokens = loaded.vocabulary().encode(text);
        return inPool(() -> run(config, tokenizer, loaded.vocabulary(), model, tokens, adam, step, history, hash));
    }

    /** Runs a training run on this trainer's own compute threads, stopped when it ends. */
    private Result inPool(ScopedValue.CallableOp<Result, IOException> run) throws IOException {
        try (Parallel pool = new Parallel(threads)) {
            return pool.call(run);
        }
    }

    private Result run(TrainConfig config, Tokenizer tokenizer, Vocabulary vocab, Gpt model, int[] tokens, AdamW adam,
                       int startStep, History history, String dataHash) throws IOException {
        if (config.sampleInterval() > 0 && sampleBackend == null) {
            throw new IllegalArgumentException("text samples every " + config.sampleInterval() + " steps need a compute backend to"
                    + " generate them; this trainer has none (set the sample interval to 0)");
        }
        int T = config.T(), B = config.nBatch();
        int nTrain = config.trainTokens(tokens.length);
        int nVal = tokens.length - nTrain;
        if (nTrain < T + 1) {
            throw new IllegalArgumentException(config.data() + " gives " + tokens.length + " tokens, " + nTrain
                    + " for training, fewer than T+1 = " + (T + 1) + "; use more text or a smaller context");
        }
        if (nVal < T + 1) {
            throw new IllegalArgumentException(config.data() + " gives " + nVal + " validation tokens (the last "
                    + Math.round(config.valFraction() * 100) + "%), fewer than T+1 = " + (T + 1) + "; use more text or a smaller context");
        }
        listener.started(new TrainingListener.Start(model.parameterCount(), vocab.size(), nTrain, nVal, startStep, config.steps(),
                config.evalInterval(), config.evalBatches()));
        LearningRate schedule = new LearningRate(config.learningRate(), config.minLearningRate(), config.warmupSteps(), config.steps());
        int[] x = new int[B * T], y = new int[B * T];
        double lossSinceEval = 0;
        int stepsSinceEval = 0;
        double lastVal = Double.NaN, lastTrain = Double.NaN;
        long begin = System.nanoTime();
        for (int step = startStep; step < config.steps(); step++) {
            long t0 = System.nanoTime();
            Batches.draw(tokens, 0, nTrain, T, B, config.seed(), step, x, y);
            model.zeroGrad();
            double loss = model.forward(x, y, B, T);
            model.backward();
            double norm = AdamW.clipGradNorm(model.grads, config.gradClip());
            double lr = schedule.at(step);
            adam.step(model.params, model.grads, lr, step + 1);
            if (!Double.isFinite(loss)) throw new IllegalStateException("the loss became " + loss + " at step " + step + "; lower the learning rate");
            double seconds = (System.nanoTime() - t0) / 1e9;
            history.train.add(new LossPlot.Point(step + 1, loss));
            lossSinceEval += loss;
            stepsSinceEval++;
            lastTrain = loss;
            listener.stepped(new TrainingListener.Step(step + 1, config.steps(), loss, lr, norm, B * T / seconds,
                    (System.nanoTime() - begin) / 1e9));
            boolean last = step + 1 == config.steps();
            if ((step + 1) % config.evalInterval() == 0 || last) {
                lastVal = validationLoss(model, tokens, nTrain, nVal, config);
                history.val.add(new LossPlot.Point(step + 1, lastVal));
                listener.evaluated(step + 1, lossSinceEval / stepsSinceEval, lastVal);
                lossSinceEval = 0;
                stepsSinceEval = 0;
            }
            if (config.sampleInterval() > 0 && ((step + 1) % config.sampleInterval() == 0 || last)) {
                listener.sampled(step + 1, sample(model, vocab, config));
            }
            if ((step + 1) % config.checkpointInterval() == 0 || last) {
                save(config, tokenizer, vocab, model, adam, step + 1, history, dataHash, tokens.length);
                listener.checkpointed(step + 1, config.out());
            }
        }
        model.releaseActivations();
        return new Result(config.out(), config.steps(), lastTrain, lastVal, model.parameterCount());
    }

    /** Mean loss over fixed validation batches (the same windows every time). */
    static double validationLoss(Gpt model, int[] tokens, int nTrain, int nVal, TrainConfig config) {
        int T = config.T(), B = config.nBatch();
        int[] x = new int[B * T], y = new int[B * T];
        double sum = 0;
        for (int k = 0; k < config.evalBatches(); k++) {
            Batches.draw(tokens, nTrain, nVal, T, B, config.seed(), VALIDATION_STREAM - k, x, y);
            sum += model.forward(x, y, B, T);
        }
        return sum / config.evalBatches();
    }

    private String sample(Gpt model, Vocabulary vocab, TrainConfig config) {
        try (ForwardPass pass = sampleBackend.prepare(model.weights(), sampleBackend.params(Map.of()))) {
            var loaded = new Checkpoint.Loaded(config.out(), model, vocab).toLoadedModel("training");
            int[] prompt = vocab.encode("\n");
            if (prompt.length == 0) prompt = new int[]{0};
            SamplerChain chain = SamplerChain.of(registry, SamplerChain.DEFAULT, Map.of());
            var result = new Generator(loaded, pass).generateNow(
                    new GenerationRequest(prompt, Math.max(1, config.sampleTokens()), chain, config.seed(), List.of()), t -> {
                    });
            return result.text();
        }
    }

    private void save(TrainConfig config, Tokenizer tokenizer, Vocabulary vocab, Gpt model, AdamW adam, int step,
                      History history, String dataHash, int nTokens) throws IOException {
        Checkpoint.save(config.out(), model, vocab, tokenizer.fileName(), dir -> {
            ObjectNode state = JSON.createObjectNode();
            state.put("step", step);
            state.set("config", JSON.valueToTree(config));
            state.put("data_sha256", dataHash);
            state.put("data_tokens", nTokens);
            state.put("optimizer_file", Checkpoint.OPTIMIZER);
            if (!history.val.isEmpty()) state.put("val_loss", history.val.getLast().loss());
            state.set("history", history.toJson());
            AtomicFiles.writeBytes(dir.resolve(Checkpoint.TRAINING), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
            Safetensors.write(dir.resolve(Checkpoint.OPTIMIZER), List.of(
                    new Safetensors.Entry("adam.m", new int[]{adam.m.length}, adam.m),
                    new Safetensors.Entry("adam.v", new int[]{adam.v.length}, adam.v)), Map.of("step", Integer.toString(step)));
            String title = "Rill training: " + config.data().getFileName() + ", step " + step
                    + (history.val.isEmpty() ? "" : String.format(java.util.Locale.ROOT, ", val loss %.4f", history.val.getLast().loss()));
            AtomicFiles.writeString(dir.resolve("loss.svg"), LossPlot.svg(history.train, history.val, title));
        });
    }

    private static void copy(Safetensors.Contents contents, String name, float[] into) {
        Safetensors.Entry e = contents.tensors().get(name);
        if (e == null || e.length() != into.length) throw new IllegalArgumentException("optimizer state lacks " + name + " of " + into.length + " values");
        System.arraycopy(e.data(), 0, into, 0, into.length);
    }

    /** Reads a whole text file as UTF-8, with clear errors for a missing, empty or undecodable file. */
    public static String readText(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("no data file given");
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + " is not a regular file");
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length == 0) throw new IllegalArgumentException("the data file " + file + " is empty");
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the data file " + file + " is not valid UTF-8 text");
        }
    }

    static String sha256(String text) {
        try {
            var md = java.security.MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Loss history kept in the checkpoint for the loss plot. */
    static final class History {
        final List<LossPlot.Point> train = new ArrayList<>(), val = new ArrayList<>();

        JsonNode toJson() {
            ObjectNode node = JSON.createObjectNode();
            ArrayNode t = node.putArray("train");
            for (LossPlot.Point p : train) t.addArray().add(p.step()).add(p.loss());
            ArrayNode v = node.putArray("val");
            for (LossPlot.Point p : val) v.addArray().add(p.step()).add(p.loss());
            return node;
        }

        static History fromJson(JsonNode node) {
            History h = new History();
            for (JsonNode p : node.path("train")) h.train.add(new LossPlot.Point(p.get(0).asInt(), p.get(1).asDouble()));
            for (JsonNode p : node.path("val")) h.val.add(new LossPlot.Point(p.get(0).asInt(), p.get(1).asDouble()));
            return h;
        }
    }
}
