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
     *
     * @throws IllegalArgumentException on a missing or malformed file, naming it
     * @throws dev.rill.plugin.PluginException when a plugin it names is not available
     */
    public static Loaded load(Path dir, PluginRegistry registry) throws IOException {
        Path folder = locate(dir);
        JsonNode root = readJson(folder.resolve(CONFIG));
        JsonNode rill = root.path("rill");
        if (!rill.isObject() || !"gpt".equals(rill.path("architecture").asText())) {
            throw new IllegalArgumentException(folder.resolve(CONFIG) + " is not a Rill GPT checkpoint config (no \"rill\": {\"architecture\": \"gpt\"})");
        }
        String peName = text(rill.path("positional"), "name", folder);
        String tokName = text(rill.path("tokenizer"), "name", folder);
        String tokFile = text(rill.path("tokenizer"), "file", folder);
        Tokenizer tokenizer = plugin(registry, Tokenizer.class, tokName, folder);
        PositionalEncoding encoding = plugin(registry, PositionalEncoding.class, peName, folder);
        Map<String, Object> tokParams = toMap(rill.path("tokenizer").path("params"));
        Map<String, Object> peParams = toMap(rill.path("positional").path("params"));
        Vocabulary vocab = tokenizer.load(folder.resolve(tokFile), tokenizer.params(tokParams));
        GptConfig config = new GptConfig(intField(root, "vocab_size", folder), intField(root, "n_positions", folder),
                intField(root, "n_layer", folder), intField(root, "n_head", folder), intField(root, "n_embd", folder),
                rill.path("max_context").asInt(0), peName, peParams);
        if (vocab.size() != config.nVocab()) {
            throw new IllegalArgumentException(folder + ": the tokenizer has " + vocab.size() + " tokens but the model expects " + config.nVocab());
        }
        PositionalEncoder pe = encoding.create(Gpt.shape(config), encoding.params(peParams));
        Gpt model = new Gpt(config, pe);
        readWeights(folder.resolve(WEIGHTS), model);
        return new Loaded(folder, model, vocab);
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
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode node, String field, Path folder) {
        JsonNode v = node.path(field);
        if (!v.isTextual() || v.asText().isBlank()) throw new IllegalArgumentException(folder.resolve(CONFIG) + " lacks " + field + " of a plugin entry");
        return v.asText();
    }

    private static int intField(JsonNode root, String field, Path folder) {
        JsonNode v = root.path(field);
        if (!v.canConvertToInt()) throw new IllegalArgumentException(folder.resolve(CONFIG) + " lacks the integer \"" + field + "\"");
        return v.asInt();
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
