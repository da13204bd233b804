package dev.rill.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.io.AtomicFiles;
import dev.rill.plugin.PluginException;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Plugin;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.TensorSpec;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Rill checkpoint folder: {@code config.json} (Hugging Face GPT-2 keys plus Rill's plugin
 * choices), {@code model.safetensors} (GPT-2 tensor names and Conv1D layout), the tokenizer's own
 * file, and for resuming {@code training.json} plus {@code optimizer.safetensors}.
 *
 * <p>A checkpoint is written whole into a temporary folder beside the target and then swapped in
 * with renames, so a crash leaves either the old checkpoint or the new one. If a crash falls between
 * the two renames, {@link #load} finds the old one under its backup name.
 */
public final class Checkpoint {

    public static final String CONFIG = "config.json", WEIGHTS = "model.safetensors",
            TRAINING = "training.json", OPTIMIZER = "optimizer.safetensors";
    static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoint() {
    }

    /** What a checkpoint's files are written from. */
    public interface Extra {
        /** Writes further files (training state, plots) into the new checkpoint folder. */
        void write(Path dir) throws IOException;
    }

    /**
     * Writes {@code model} and {@code vocabulary} (under {@code tokenizerFile}, its tokenizer's
     * {@link Tokenizer#fileName()}), and {@code extra} files, as the checkpoint at {@code dir}.
     */
    public static void save(Path dir, Gpt model, Vocabulary vocabulary, String tokenizerFile, Extra extra) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        String name = target.getFileName().toString();
        Path tmp = Files.createTempDirectory(parent, "." + name + ".tmp-");
        AtomicFiles.readableByAll(tmp, true);
        try {
            writeConfig(tmp.resolve(CONFIG), model.config, vocabulary, tokenizerFile, model.parameterCount());
            List<Safetensors.Entry> tensors = new ArrayList<>();
            for (Gpt.Param p : model.parameters()) {
                tensors.add(new Safetensors.Entry(p.name(), p.shape(), model.params, p.offset(), p.size()));
            }
            Safetensors.write(tmp.resolve(WEIGHTS), tensors, Map.of("format", "pt", "producer", "rill"));
            vocabulary.save(tmp.resolve(tokenizerFile));
            if (extra != null) extra.write(tmp);
            swapIn(tmp, target);
        } finally {
            deleteTree(tmp);
        }
    }

    /**
     * Deletes what a killed {@link #save} left beside {@code dir}: its temporary folders
     * ({@code .NAME.tmp-*}). The backup {@code .NAME.old} stays: {@link #load} may need it. Training
     * calls this when it starts, so a killed run leaves nothing behind once the next one begins.
     */
    public static void removeLeftovers(Path dir) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) return;
        String prefix = "." + target.getFileName() + ".tmp-";
        try (var siblings = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p))) {
            for (Path leftover : siblings) deleteTree(leftover);
        }
    }

    private static void swapIn(Path tmp, Path target) throws IOException {
        Path backup = target.resolveSibling("." + target.getFileName() + ".old");
        deleteTree(backup);
        if (Files.exists(target)) Files.move(target, backup);
        Files.move(tmp, target);
        deleteTree(backup);
    }

    private static void writeConfig(Path file, GptConfig c, Vocabulary v, String tokenizerFile, long parameters) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        // Hugging Face GPT-2 keys, so that the folder reads as a GPT-2 model where positions are learned.
        root.put("model_type", "gpt2");
        root.putArray("architectures").add("GPT2LMHeadModel");
        root.put("vocab_size", c.nVocab());
        root.put("n_positions", c.T());
        root.put("n_ctx", c.T());
        root.put("n_embd", c.nEmb());
        root.put("n_layer", c.nLayer());
        root.put("n_head", c.nHead());
        root.put("activation_function", "gelu_new");
        root.put("layer_norm_epsilon", 1e-5);
        root.put("tie_word_embeddings", true);
        ObjectNode rill = root.putObject("rill");
        rill.put("format_version", 1);
        rill.put("architecture", "gpt");
        rill.put("max_context", c.maxContext());
        rill.put("parameters", parameters);
        ObjectNode pe = rill.putObject("positional");
        pe.put("name", c.positional());
        pe.set("params", JSON.valueToTree(c.positionalParams()));
        ObjectNode tok = rill.putObject("tokenizer");
        tok.put("name", v.tokenizer());
        tok.put("file", tokenizerFile);
        tok.set("params", JSON.valueToTree(v.params().asMap()));
        AtomicFiles.writeBytes(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /** A checkpoint read back: the model with its weights, its vocabulary and where its files are. */
    public record Loaded(Path dir, Gpt model, Vocabulary vocabulary) {

        /** As a servable model. */
        public LoadedModel toLoadedModel(String name) {
            GptConfig c = model.config;
            ModelFacts info = new ModelFacts("gpt", model.parameterCount(), "F32", c.T(), c.maxContext(), c.nLayer(), c.nHead(),
                    c.nHead(), c.nEmb(), c.nVocab(), vocabulary.tokenizer(), c.positional(), null, null);
            return new LoadedModel(name, dir, model.weights(), vocabulary, null, info, vocabulary::encode, null);
        }
    }

    /**
     * Reads a checkpoint folder, resolving its tokenizer and positional encoding through {@code registry}.
     * Every config field is checked (integers, ranges, products without overflow, the memory the
     * model will take against the JVM's maximum heap, the weights file's size) before anything large
     * is allocated; the tokenizer file must lie inside the folder; a damaged file is named, its
     * content never repeated.
     *
     * @throws IllegalArgumentException on a missing or malformed file, naming it
     * @throws dev.rill.plugin.PluginException when a plugin it names is not available
     */
    public static Loaded load(Path dir, PluginRegistry registry) throws IOException {
        Path folder = locate(dir);
        Path configFile = folder.resolve(CONFIG);
        JsonNode root = readJson(configFile);
        JsonNode rill = root.path("rill");
        if (!rill.isObject() || !"gpt".equals(rill.path("architecture").asText())) {
            throw new IllegalArgumentException(configFile + " is not a Rill GPT checkpoint config (no \"rill\": {\"architecture\": \"gpt\"})");
        }
        String peName = text(rill.path("positional"), "name", folder);
        String tokName = text(rill.path("tokenizer"), "name", folder);
        Path tokFile = inside(folder, text(rill.path("tokenizer"), "file", folder));
        Tokenizer tokenizer = plugin(registry, Tokenizer.class, tokName, folder);
        PositionalEncoding encoding = plugin(registry, PositionalEncoding.class, peName, folder);
        Map<String, Object> tokParams = params(rill.path("tokenizer"), "rill.tokenizer.params", configFile);
        Map<String, Object> peParams = params(rill.path("positional"), "rill.positional.params", configFile);
        int nVocab = intField(root, "vocab_size", configFile), T = intField(root, "n_positions", configFile);
        int nLayer = intField(root, "n_layer", configFile), nHead = intField(root, "n_head", configFile), nEmb = intField(root, "n_embd", configFile);
        int maxContext = optionalInt(rill, "max_context", configFile);
        GptConfig config;
        PositionalEncoder pe;
        try {
            config = new GptConfig(nVocab, T, nLayer, nHead, nEmb, maxContext, peName, peParams);
            pe = encoding.create(Gpt.shape(config), encoding.params(peParams));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configFile + ": " + e.getMessage(), e);
        }
        checkSizes(folder, config, pe);
        Vocabulary vocab = vocabulary(tokenizer, tokName, tokFile, tokParams);
        if (vocab.size() != config.nVocab()) {
            throw new IllegalArgumentException(folder + ": the tokenizer has " + vocab.size() + " tokens but the model expects " + config.nVocab());
        }
        Gpt model = new Gpt(config, pe);
        readWeights(folder.resolve(WEIGHTS), model);
        return new Loaded(folder, model, vocab);
    }

    /** The sizes a config asks for, against what one float array, the weights file and the JVM's heap can hold. */
    private static void checkSizes(Path folder, GptConfig c, PositionalEncoder pe) throws IOException {
        Path configFile = folder.resolve(CONFIG);
        String sizes = "vocab_size " + c.nVocab() + ", n_layer " + c.nLayer() + ", n_embd " + c.nEmb() + ", n_positions " + c.T();
        long parameters = c.parameterCount(pe.parameters().stream().map(TensorSpec::shape).toList());
        if (parameters > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(configFile + ": " + sizes + " make " + (parameters == Long.MAX_VALUE ? "more than 2^63" : parameters)
                    + " parameters; a Rill checkpoint holds at most " + (Integer.MAX_VALUE - 16));
        }
        if ((long) c.maxContext() * c.nEmb() > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(configFile + ": max_context " + c.maxContext() + " × n_embd " + c.nEmb()
                    + " is more than a KV cache block holds (2^31 values); lower max_context");
        }
        Path weights = folder.resolve(WEIGHTS);
        if (Files.isRegularFile(weights) && Files.size(weights) < 2 * parameters) {
            throw new IllegalArgumentException(weights + " has " + Files.size(weights) + " bytes, too few for the " + parameters
                    + " parameters that config.json describes (" + sizes + ")");
        }
        // Weights and their gradients (a Gpt holds both), and one sequence's KV cache over the whole context.
        long need = 8 * parameters + c.kvCacheBytes();
        long max = Runtime.getRuntime().maxMemory();
        if (need > max) {
            throw new IllegalArgumentException(folder + ": the model needs " + (need >> 20) + " MiB (" + parameters + " parameters, their gradients, "
                    + "and a KV cache over max_context " + c.maxContext() + "), more than the JVM's " + (max >> 20)
                    + " MiB; give it more memory (-Xmx, or RILL_MAX_RAM_PERCENT for ./rill)");
        }
    }

    /** The tokenizer file a config names: a file inside the checkpoint folder, not a path out of it. */
    static Path inside(Path folder, String name) throws IOException {
        String refused = folder.resolve(CONFIG) + ": rill.tokenizer.file must name a file inside the checkpoint folder";
        Path rel;
        try {
            rel = Path.of(name);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException(refused + " (it is not a file name)");
        }
        Path file = folder.resolve(rel).normalize();
        if (rel.isAbsolute() || !file.startsWith(folder) || file.equals(folder)) {
            throw new IllegalArgumentException(refused + " (it is an absolute path or leads out of the folder)");
        }
        if (Files.exists(file) && !file.toRealPath().startsWith(folder.toRealPath())) {
            throw new IllegalArgumentException(refused + " (it is a link out of the folder)");
        }
        return file;
    }

    /** Loads the vocabulary; a file the tokenizer cannot read is named, not quoted (it could be anything). */
    private static Vocabulary vocabulary(Tokenizer tokenizer, String name, Path file, Map<String, Object> params) throws IOException {
        var p = tokenizer.params(params);
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file + " (the tokenizer file that config.json names)");
        try {
            return tokenizer.load(file, p);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + " is not a valid '" + name + "' tokenizer file (damaged or of another tokenizer)", e);
        }
    }

    /** The plugin a checkpoint names; when it is missing, says which checkpoint needs it and where to put it. */
    private static <T extends Plugin> T plugin(PluginRegistry registry, Class<T> family, String name, Path folder) {
        try {
            return registry.get(family, name);
        } catch (PluginException e) {
            Path pluginDir = registry.pluginDir();
            throw new PluginException(folder + " needs " + PluginRegistry.familyName(family) + " '" + name + "': " + e.getMessage()
                    + "; to add it, put the jar that provides it into "
                    + (pluginDir != null ? "the plugin folder " + pluginDir.toAbsolutePath() : "a folder and name that folder as the plugin folder (--plugins DIR)"), e);
        }
    }

    /** Copies every tensor of a safetensors file into the model, checking names and shapes. */
    public static void readWeights(Path file, Gpt model) throws IOException {
        Safetensors.Contents contents = Safetensors.read(file);
        for (Gpt.Param p : model.parameters()) {
            Safetensors.Entry e = contents.tensors().get(p.name());
            if (e == null) throw new IllegalArgumentException(file + " lacks tensor " + p.name());
            if (!Arrays.equals(e.shape(), p.shape())) {
                throw new IllegalArgumentException(file + ": tensor " + p.name() + " has shape " + Arrays.toString(e.shape())
                        + ", the config asks for " + Arrays.toString(p.shape()));
            }
            System.arraycopy(e.data(), 0, model.params, p.offset(), p.size());
        }
        for (String name : contents.tensors().keySet()) {
            if (model.parameter(name) == null) throw new IllegalArgumentException(file + " has an unexpected tensor " + name);
        }
    }

    /** The folder itself, or its backup left by a crash between the two renames of {@link #save}. */
    static Path locate(Path dir) throws NoSuchFileException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.isDirectory(target)) return target;
        Path backup = target.resolveSibling("." + target.getFileName() + ".old");
        if (Files.isDirectory(backup)) return backup;
        throw new NoSuchFileException(dir + " (no checkpoint folder there)");
    }

    static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) throw new IllegalArgumentException(file + " is not a JSON object");
            return node;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            var at = e.getLocation();
            throw new IllegalArgumentException(file + " is not valid JSON" + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        }
    }

    private static String text(JsonNode node, String field, Path folder) {
        JsonNode v = node.path(field);
        if (!v.isTextual() || v.asText().isBlank()) throw new IllegalArgumentException(folder.resolve(CONFIG) + " lacks " + field + " of a plugin entry");
        return v.asText();
    }

    /** A positive integer field: 1.5 or "7" are not integers, 2^31 does not fit. */
    private static int intField(JsonNode root, String field, Path configFile) {
        JsonNode v = root.path(field);
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
            throw new IllegalArgumentException(configFile + ": \"" + field + "\" must be an integer from 1 to " + Integer.MAX_VALUE
                    + (v.isMissingNode() ? " (it is missing)" : " (got " + abbreviate(v.toString()) + ")"));
        }
        return v.asInt();
    }

    /** {@code rill.max_context}: absent or an integer (0: the context size). */
    private static int optionalInt(JsonNode rill, String field, Path configFile) {
        JsonNode v = rill.path(field);
        if (v.isMissingNode() || v.isNull()) return 0;
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
            throw new IllegalArgumentException(configFile + ": \"rill." + field + "\" must be an integer from 0 to " + Integer.MAX_VALUE
                    + " (got " + abbreviate(v.toString()) + ")");
        }
        return v.asInt();
    }

    /** A plugin entry's {@code params}: absent, or an object. */
    private static Map<String, Object> params(JsonNode entry, String field, Path configFile) {
        JsonNode p = entry.path("params");
        if (p.isMissingNode() || p.isNull()) return Map.of();
        if (!p.isObject()) throw new IllegalArgumentException(configFile + ": " + field + " must be an object of parameter values");
        for (var e : p.properties()) {
            if (e.getValue().isNull()) throw new IllegalArgumentException(configFile + ": " + field + "." + abbreviate(e.getKey()) + " is null; give a value or leave it out");
        }
        return toMap(p);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> toMap(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) return Map.of();
        return JSON.convertValue(node, LinkedHashMap.class);
    }

    static void deleteTree(Path p) throws IOException {
        AtomicFiles.deleteTree(p);
    }
}
