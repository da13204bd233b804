package dev.rill.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.chat.PlainChat;
import dev.rill.chat.Turn;
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
 * Trains a GPT exactly as the seed describes: tokenizer fitted on the text → token indices → 90/10
 * train/validation split → each step {@code nBatch} uniform windows of {@code T} tokens with targets
 * shifted by one → logits → mean cross-entropy → backward → AdamW (warm-up, cosine decay, gradient
 * clipping) → periodic validation loss, text sample and checkpoint. Deterministic for a seed; a
 * resumed run continues with the same loss sequence.
 *
 * <p>From a {@code base} checkpoint it continues that model (its tokenizer, architecture and
 * weights) on new data; with {@code sft} the data are conversations ({@link ChatData}) and the loss
 * counts the assistant's tokens only ({@link ChatExamples}). A fine-tuning run reports the
 * validation loss before its first step too (step 0), so the gain is visible.
 */
public final class Trainer {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The held-out conversations of a fine-tuning run, written beside its checkpoint. */
    public static final String HELD_OUT = "heldout.jsonl";

    private final PluginRegistry registry;
    private final TrainingListener listener;
    private final ComputeBackend sampleBackend;
    private final int threads;
    private volatile boolean cancelled;

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

    /**
     * What a run ended with.
     *
     * @param steps     the last step done
     * @param cancelled whether {@link #cancel} stopped it (the last checkpoint written stays)
     */
    public record Result(Path checkpoint, int steps, double trainLoss, double valLoss, long parameters, boolean cancelled) {
    }

    /** One step's mean cross-entropy and its gradients' norm before clipping. */
    public record StepLoss(double loss, double gradNorm) {
    }

    /**
     * One training step on the batch {@code x → y} ({@code B × T}): gradients, clipping to
     * {@code gradClip}, AdamW's update at learning rate {@code lr} as its {@code t}-th step (from 1).
     * {@code rill train} and {@code rill bench train} both take their steps here.
     */
    public static StepLoss step(Gpt model, AdamW adam, int[] x, int[] y, int B, int T, double gradClip, double lr, int t) {
        model.zeroGrad();
        double loss = model.forward(x, y, B, T);
        model.backward();
        double norm = AdamW.clipGradNorm(model.grads, gradClip);
        adam.step(model.params, model.grads, lr, t);
        return new StepLoss(loss, norm);
    }

    /** Stops the run before its next step (from any thread); {@link #train} and {@link #resume} then return. */
    public void cancel() {
        cancelled = true;
    }

    /** Starts a new run: fits the tokenizer (or takes the base model's), initialises the model, trains, checkpoints. */
    public Result train(TrainConfig config) throws IOException {
        Checkpoint.removeLeftovers(config.out());
        String text = readText(config.data());
        List<ChatData.Conversation> chats = config.sft() ? ChatData.parse(text, config.data().toString()) : null;
        Tokenizer tokenizer;
        Vocabulary vocab;
        Gpt model;
        if (config.base() != null) {
            Checkpoint.Loaded base = Checkpoint.load(config.base(), registry);
            vocab = base.vocabulary();
            model = base.model();
            tokenizer = registry.get(Tokenizer.class, vocab.tokenizer());
            GptConfig g = model.config;
            config = config.withArchitecture(vocab.tokenizer(), vocab.params().asMap(), g.positional(), g.positionalParams(),
                    g.nLayer(), g.nHead(), g.nEmb(), g.T(), g.maxContext());
        } else {
            tokenizer = registry.get(Tokenizer.class, config.tokenizer());
            PositionalEncoding encoding = registry.get(PositionalEncoding.class, config.positional());
            Params tokParams = tokenizer.params(config.tokenizerParams());
            Params peParams = encoding.params(config.positionalParams());
            vocab = tokenizer.train(chats == null ? text : chatText(chats), tokParams, listener::fittingTokenizer);
            GptConfig gptConfig = new GptConfig(vocab.size(), config.T(), config.nLayer(), config.nHead(), config.nEmb(),
                    config.maxContext(), encoding.name(), peParams.asMap());
            PositionalEncoder encoder = encoding.create(Gpt.shape(gptConfig), peParams);
            if (encoder.maxPositions() < gptConfig.maxContext()) {
                // Caught here, not at generation time: a checkpoint promising a context its positions cannot reach.
                throw new IllegalArgumentException("max-context " + gptConfig.maxContext() + " is beyond the " + encoder.maxPositions()
                        + " positions positional encoding '" + encoding.name() + "' defines for T=" + config.T()
                        + "; use max-context 0 (= T) or an encoding that runs past T");
            }
            model = new Gpt(gptConfig, encoder);
            model.initialize(config.seed());
        }
        TrainingData data = data(config, text, chats, vocab, model.config.T());
        TrainConfig run = config;
        Gpt gpt = model;
        return inPool(() -> run(run, tokenizer, vocab, gpt, data, new AdamW(gpt, run.beta1(), run.beta2(), 1e-8, run.weightDecay()),
                0, new History(), sha256(text)));
    }

    /** Continues the run whose checkpoint is at {@code dir}, with the settings it was started with. */
    public Result resume(Path dir) throws IOException {
        Checkpoint.removeLeftovers(dir);
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
        List<ChatData.Conversation> chats = config.sft() ? ChatData.parse(text, config.data().toString()) : null;
        TrainingData data = data(config, text, chats, loaded.vocabulary(), model.config.T());
        return inPool(() -> run(config, tokenizer, loaded.vocabulary(), model, data, adam, step, history, hash));
    }

    /** Runs a training run on this trainer's own compute threads, stopped when it ends. */
    private Result inPool(ScopedValue.CallableOp<Result, IOException> run) throws IOException {
        try (Parallel pool = new Parallel(threads)) {
            return pool.call(run);
        }
    }

    private static TrainingData data(TrainConfig config, String text, List<ChatData.Conversation> chats, Vocabulary vocab, int T) {
        return chats == null ? new TextWindows(vocab.encode(text), config, T) : new ChatExamples(chats, vocab, config, T);
    }

    /** The conversations as one text, for fitting a tokenizer on them. */
    private static String chatText(List<ChatData.Conversation> chats) {
        StringBuilder sb = new StringBuilder();
        for (ChatData.Conversation c : chats) for (PlainChat.Segment s : PlainChat.segments(c.turns())) sb.append(s.text());
        return sb.toString();
    }

    private Result run(TrainConfig config, Tokenizer tokenizer, Vocabulary vocab, Gpt model, TrainingData data, AdamW adam,
                       int startStep, History history, String dataHash) throws IOException {
        if (config.sampleInterval() > 0 && sampleBackend == null) {
            throw new IllegalArgumentException("text samples every " + config.sampleInterval() + " steps need a compute backend to"
                    + " generate them; this trainer has none (set the sample interval to 0)");
        }
        int T = model.config.T(), B = config.nBatch();
        listener.started(new TrainingListener.Start(model.parameterCount(), vocab.size(), data.trainTokens(), data.valTokens(),
                startStep, config.steps(), config.evalInterval(), config.evalBatches(), config.sft()));
        LearningRate schedule = new LearningRate(config.learningRate(), config.minLearningRate(), config.warmupSteps(), config.steps());
        int[] x = new int[B * T], y = new int[B * T];
        double lossSinceEval = 0;
        int stepsSinceEval = 0;
        double lastVal = Double.NaN, lastTrain = Double.NaN;
        if (startStep == 0 && config.base() != null && !cancelled) {
            lastVal = data.validationLoss(model);
            history.val.add(new LossPlot.Point(0, lastVal));
            listener.evaluated(0, Double.NaN, lastVal);
        }
        long begin = System.nanoTime();
        for (int step = startStep; step < config.steps(); step++) {
            if (cancelled) {
                model.releaseActivations();
                return new Result(config.out(), step, lastTrain, lastVal, model.parameterCount(), true);
            }
            long t0 = System.nanoTime();
            double lr = schedule.at(step);
            // One burst per step: the helpers spin through the step's serial parts instead of parking
            // and waking for each of its many small loops (config S on two threads: 17.2–17.9 → 18.6–22.5 k tok/s).
            StepLoss[] done = new StepLoss[1];
            int s = step;
            Parallel.inBurst(() -> {
                data.draw(s, x, y);
                done[0] = step(model, adam, x, y, B, T, config.gradClip(), lr, s + 1);
            });
            double loss = done[0].loss(), norm = done[0].gradNorm();
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
                lastVal = data.validationLoss(model);
                history.val.add(new LossPlot.Point(step + 1, lastVal));
                listener.evaluated(step + 1, lossSinceEval / stepsSinceEval, lastVal);
                lossSinceEval = 0;
                stepsSinceEval = 0;
            }
            if (config.sampleInterval() > 0 && ((step + 1) % config.sampleInterval() == 0 || last)) {
                listener.sampled(step + 1, sample(model, vocab, data, config));
            }
            if ((step + 1) % config.checkpointInterval() == 0 || last) {
                save(config, tokenizer, vocab, model, adam, step + 1, history, dataHash, data);
                listener.checkpointed(step + 1, config.out());
            }
        }
        model.releaseActivations();
        return new Result(config.out(), config.steps(), lastTrain, lastVal, model.parameterCount(), false);
    }

    /** The sample prompt and what the model writes after it. */
    private String sample(Gpt model, Vocabulary vocab, TrainingData data, TrainConfig config) {
        try (ForwardPass pass = sampleBackend.prepare(model.weights(), sampleBackend.params(Map.of()))) {
            var loaded = new Checkpoint.Loaded(config.out(), model, vocab).toLoadedModel("training");
            String promptText = data.samplePrompt();
            int[] prompt = vocab.encode(promptText);
            if (prompt.length == 0) prompt = new int[]{0};
            SamplerChain chain = SamplerChain.of(registry, SamplerChain.DEFAULT, Map.of());
            var result = new Generator(loaded, pass).generateNow(
                    new GenerationRequest(prompt, Math.max(1, config.sampleTokens()), chain, config.seed(), data.sampleStop()), t -> {
                    });
            return data.sampleStop().isEmpty() ? result.text() : promptText + result.text();
        }
    }

    private void save(TrainConfig config, Tokenizer tokenizer, Vocabulary vocab, Gpt model, AdamW adam, int step,
                      History history, String dataHash, TrainingData data) throws IOException {
        Checkpoint.save(config.out(), model, vocab, tokenizer.fileName(), dir -> {
            ObjectNode state = JSON.createObjectNode();
            state.put("step", step);
            state.set("config", JSON.valueToTree(config));
            state.put("data_sha256", dataHash);
            state.put("data_tokens", data.trainTokens() + data.valTokens());
            if (data instanceof ChatExamples chats) writeHeldOut(dir.resolve(HELD_OUT), chats.heldOut());
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

    /** The held-out conversations as JSONL, so they can be evaluated and prompted again. */
    private static void writeHeldOut(Path file, List<ChatExamples.Example> heldOut) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (ChatExamples.Example e : heldOut) {
            ObjectNode line = JSON.createObjectNode();
            ArrayNode messages = line.putArray("messages");
            for (Turn t : e.conversation().turns()) messages.addObject().put("role", t.role()).put("content", t.content());
            sb.append(JSON.writeValueAsString(line)).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
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
