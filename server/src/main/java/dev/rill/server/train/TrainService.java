package dev.rill.server.train;

import dev.rill.model.Checkpoint;
import dev.rill.model.GptConfig;
import dev.rill.model.LoadedModel;
import dev.rill.plugin.PluginException;
import dev.rill.plugin.PluginRegistry;
import dev.rill.server.api.ApiException;
import dev.rill.server.config.RillConfig;
import dev.rill.server.config.TrainSettings;
import dev.rill.server.model.ModelService;
import dev.rill.server.model.ServedModel;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.Tokenizer;
import dev.rill.train.ChatData;
import dev.rill.train.TrainConfig;
import dev.rill.train.Trainer;
import dev.rill.train.TrainingJobs;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Training jobs in the server: turns requests into the engine's {@link TrainConfig}, finds their data
 * (only in the configured data folder and among uploads), runs them on the engine's
 * {@link TrainingJobs} and serves each checkpoint the moment it is written, under the job's name.
 */
@ApplicationScoped
public class TrainService {

    static final String UPLOADS = "uploads";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern UPLOAD_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._ -]{0,99}");

    @Inject
    RillConfig config;
    @Inject
    ModelService models;

    private TrainingJobs jobs;

    /** A file a job may train on. */
    public record DataFile(String name, String source, long bytes) {
    }

    /** The job runner, made once the plugins are loaded (503 before). */
    public synchronized TrainingJobs jobs() {
        if (jobs == null) {
            TrainSettings t = config.train();
            int threads = t.threads().orElse(Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
            PluginRegistry registry = models.registry();
            try {
                jobs = new TrainingJobs(registry, t.maxConcurrent(), t.queueSize(), threads, registry.get(ComputeBackend.class, "cpu"),
                        this::publish);
            } catch (IllegalArgumentException e) {
                throw new ApiException(503, "not_ready", null, "training is misconfigured (rill.train.*): " + e.getMessage());
            }
        }
        return jobs;
    }

    void onStop(@Observes ShutdownEvent event) {
        TrainingJobs j;
        synchronized (this) {
            j = jobs;
        }
        if (j != null) j.close();
    }

    /** Loads a checkpoint the job just wrote and serves it under the job's name. */
    private String publish(TrainingJobs.Job job, int step, Path dir) throws IOException {
        LoadedModel model = Checkpoint.load(dir, models.registry()).toLoadedModel(job.name());
        models.publish(model);
        return model.name();
    }

    // ---------------------------------------------------------------- data files

    Path dataDir() {
        return config.train().dataDir().toAbsolutePath().normalize();
    }

    Path uploadDir() {
        return config.train().outDir().toAbsolutePath().normalize().resolve(UPLOADS);
    }

    /** The texts (.txt) and conversation files (.jsonl) of the data folder and the uploads. */
    public List<DataFile> files() {
        List<DataFile> out = new ArrayList<>();
        list(dataDir(), "", "data", 2, out);
        list(uploadDir(), UPLOADS + "/", "upload", 1, out);
        return out;
    }

    private static void list(Path dir, String prefix, String source, int depth, List<DataFile> out) {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.walk(dir, depth)) {
            s.filter(Files::isRegularFile).filter(p -> usable(p.getFileName().toString())).sorted().forEach(p -> {
                try {
                    out.add(new DataFile(prefix + dir.relativize(p).toString().replace('\\', '/'), source, Files.size(p)));
                } catch (IOException ignored) {
                    // vanished while listing
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean usable(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return !n.startsWith(".") && (n.endsWith(".txt") || n.endsWith(".jsonl"));
    }

    /**
     * The file a job names: a path inside the data folder, or {@code uploads/NAME}; never anything
     * outside those two folders (no absolute paths, no {@code ..}, no links leading out).
     */
    Path resolve(String name) {
        if (name == null || name.isBlank()) throw ApiException.invalid("data", "field 'data' is required: a file of GET /api/train/files");
        boolean upload = name.startsWith(UPLOADS + "/");
        Path root = upload ? uploadDir() : dataDir();
        String rel = upload ? name.substring(UPLOADS.length() + 1) : name;
        Path file = root.resolve(rel).normalize();
        try {
            if (Path.of(rel).isAbsolute() || rel.contains("..") || !file.startsWith(root) || !usable(file.getFileName().toString())
                    || !Files.isRegularFile(file) || !file.toRealPath().startsWith(root.toRealPath())) {
                throw unknownData(name);
            }
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw unknownData(name);
        }
        return file;
    }

    private static ApiException unknownData(String name) {
        return ApiException.invalid("data", "no data file '" + name + "'; a job trains on a .txt or .jsonl file of the data folder"
                + " or an upload (GET /api/train/files lists them, POST /api/train/files uploads one)");
    }

    /**
     * Keeps an uploaded file (already written to {@code tmp}, within the size limit) under
     * {@code uploads/}, after checking it is UTF-8 text. Returns how jobs name it.
     */
    public DataFile store(String fileName, Path tmp) throws IOException {
        try {
            String name = fileName == null ? "" : Path.of(fileName).getFileName().toString().strip();
            if (!UPLOAD_NAME.matcher(name).matches() || !usable(name)) {
                throw ApiException.invalid("name", "the upload needs a file name ending in .txt (a text) or .jsonl (conversations),"
                        + " of letters, digits, '.', '_', '-' and spaces, e.g. ?name=mytext.txt");
            }
            Trainer.readText(tmp);   // refuses empty and non-UTF-8 files
            Path dir = uploadDir();
            Files.createDirectories(dir);
            String stored = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()) + "-" + name.replace(' ', '_');
            Files.move(tmp, dir.resolve(stored), StandardCopyOption.ATOMIC_MOVE);
            return new DataFile(UPLOADS + "/" + stored, "upload", Files.size(dir.resolve(stored)));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("file", e.getMessage().replace(tmp.toString(), "the upload"));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // ---------------------------------------------------------------- jobs

    /** Checks a request and queues its job. */
    public TrainingJobs.Job start(TrainRequest r) {
        TrainingJobs jobs = jobs();
        PluginRegistry registry = models.registry();
        Path data = resolve(r.data());
        boolean sft = Boolean.TRUE.equals(r.sft());
        String text;
        try {
            text = Trainer.readText(data);
            if (sft) ChatData.parse(text, r.data());
        } catch (IOException e) {
            throw unknownData(r.data());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("data", e.getMessage().replace(data.toString(), r.data()));
        }
        String name = r.name() != null ? r.name() : "job-" + (jobs.all().size() + 1);
        if (!NAME.matcher(name).matches()) {
            throw ApiException.invalid("name", "the name '" + name + "' is not accepted: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        Path out = config.train().outDir().toAbsolutePath().normalize().resolve(name);
        if (models.isConfigured(name) || jobs.nameInUse(name) || Files.exists(out) || name.equals(UPLOADS)) {
            throw new ApiException(409, "name_taken", "name", "the name '" + name + "' is taken (a served model, a job or an earlier job's folder " + out
                    + "); choose another");
        }
        TrainConfig c;
        try {
            c = r.base() != null ? fromBase(r, data, out, sft) : fresh(r, data, out, registry, sft);
        } catch (PluginException | IllegalArgumentException e) {
            throw ApiException.invalid(null, e.getMessage());
        }
        if (c.steps() > config.train().maxSteps()) {
            throw ApiException.invalid("steps", "steps must be ≤ " + config.train().maxSteps() + " (rill.train.max-steps; got " + c.steps() + ")");
        }
        try {
            return jobs.submit(name, c);
        } catch (TrainingJobs.QueueFullException e) {
            throw new ApiException(429, "queue_full", null, e.getMessage());
        }
    }

    private TrainConfig fresh(TrainRequest r, Path data, Path out, PluginRegistry registry, boolean sft) {
        String tokenizer = or(r.tokenizer(), "char"), positional = or(r.positional(), "learned");
        registry.get(Tokenizer.class, tokenizer);
        registry.get(PositionalEncoding.class, positional);
        Map<String, Object> tok = new LinkedHashMap<>(r.tokenizerParams() == null ? Map.of() : r.tokenizerParams());
        if (r.vocabSize() != null) tok.put("vocab_size", r.vocabSize());
        return config(r, data, out, tokenizer, tok, positional, r.positionalParams(), or(r.nLayer(), 4), or(r.nHead(), 4),
                or(r.nEmb(), 128), or(r.context(), 128), or(r.maxContext(), 0), null, sft);
    }

    /** Fine-tuning (or continuing) a served Rill model: its architecture and tokenizer, no fields that would contradict them. */
    private TrainConfig fromBase(TrainRequest r, Path data, Path out, boolean sft) {
        ServedModel base = models.get(r.base(), "base");
        Path source = base.model().source();
        if (source == null || !Files.isRegularFile(source.resolve(Checkpoint.CONFIG))) {
            throw ApiException.invalid("base", "'" + r.base() + "' is not a Rill checkpoint (a GGUF model cannot be trained); choose a Rill model of GET /api/models");
        }
        Checkpoint.Loaded checkpoint;
        try {
            checkpoint = Checkpoint.load(source, models.registry());
        } catch (IOException e) {
            throw ApiException.invalid("base", "the checkpoint of '" + r.base() + "' cannot be read: " + e.getMessage());
        }
        Map<String, Object> given = new LinkedHashMap<>();
        given.put("tokenizer", r.tokenizer());
        given.put("vocab_size", r.vocabSize());
        given.put("tokenizer_params", r.tokenizerParams());
        given.put("positional", r.positional());
        given.put("positional_params", r.positionalParams());
        given.put("n_layer", r.nLayer());
        given.put("n_head", r.nHead());
        given.put("n_emb", r.nEmb());
        given.put("context", r.context());
        given.put("max_context", r.maxContext());
        for (var e : given.entrySet()) {
            if (e.getValue() != null) {
                throw ApiException.invalid(e.getKey(), "'" + e.getKey() + "' comes from the base model '" + r.base() + "'; leave it out");
            }
        }
        GptConfig g = checkpoint.model().config;
        return config(r, data, out, checkpoint.vocabulary().tokenizer(), checkpoint.vocabulary().params().asMap(), g.positional(),
                g.positionalParams(), g.nLayer(), g.nHead(), g.nEmb(), g.T(), g.maxContext(), checkpoint.dir(), sft);
    }

    private static TrainConfig config(TrainRequest r, Path data, Path out, String tokenizer, Map<String, Object> tok, String positional,
                                      Map<String, Object> pe, int nLayer, int nHead, int nEmb, int T, int maxContext, Path base, boolean sft) {
        int steps = or(r.steps(), 2000), evalInterval = or(r.evalInterval(), Math.max(1, Math.min(250, steps / 10)));
        return new TrainConfig(data, out, tokenizer, tok, positional, pe, nLayer, nHead, nEmb, T, maxContext, or(r.batch(), 16),
                steps, or(r.learningRate(), 1e-3), or(r.minLearningRate(), Math.min(1e-4, or(r.learningRate(), 1e-3))),
                or(r.warmup(), Math.min(100, steps / 10)), or(r.weightDecay(), 0.1), 0.9, 0.99, or(r.gradClip(), 1.0),
                evalInterval, or(r.evalBatches(), 20), or(r.sampleInterval(), evalInterval), or(r.sampleTokens(), 200),
                or(r.checkpointInterval(), Math.max(1, Math.min(500, steps / 4))), or(r.seed(), 1337L), or(r.valFraction(), 0.1), base, sft);
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
