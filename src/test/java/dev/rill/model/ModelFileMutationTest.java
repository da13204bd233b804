package dev.rill.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.backend.cpu.CpuBackend;
import dev.rill.gguf.GgufFile;
import dev.rill.gguf.GgufValueType;
import dev.rill.gguf.GgufWriter;
import dev.rill.plugin.PluginException;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.Tensor.DType;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, item 6: model files that are damaged or hostile. Hundreds of seeded mutations of a Rill
 * checkpoint (every config field set to every kind of bad value, bytes flipped, files cut short,
 * safetensors headers rewritten) and of a GGUF file (every shape metadata set to bad values, header
 * bytes flipped, cut short) are loaded as the server and the commands load them. Each must load, or
 * fail with one line naming the problem: no other exception, no stack trace or Java class in the
 * message, no hang, no OutOfMemoryError. A model that loads must also run a token.
 */
class ModelFileMutationTest {

    static final PluginRegistry REGISTRY = PluginRegistry.load();
    static final ObjectMapper JSON = new ObjectMapper();
    /** A Java class, exception or stack frame in a message. */
    static final Pattern JAVA = Pattern.compile("(\\b(java|javax|com\\.fasterxml|dev\\.rill)\\.[a-z]|Exception|\\bat [a-z][\\w.$]+\\(|\\.java:\\d)");
    static final ExecutorService LOADER = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("mutation-loader").unstarted(r));

    @TempDir
    static Path tmp;

    @AfterAll
    static void stop() {
        LOADER.shutdownNow();
    }

    // ---- the outcome of one load ----

    /** "loaded", "refused: ...", or what went wrong ("BAD ..."). */
    static String attempt(Path model) {
        Future<String> f = LOADER.submit(() -> {
            try (LoadedModel m = Models.load(model.toString(), "m", REGISTRY); ForwardPass fp = new CpuBackend().prepare(m.weights(), Params.EMPTY)) {
                // What a request does: a KV cache over the window (capped here: the size check is the loader's), one token.
                KvCache cache = fp.newCache(Math.min(m.maxContext(), 64));
                fp.forward(cache, new int[]{0}, 0, 1, new float[m.weights().arch().nVocab()]);
                return "loaded";
            }
        });
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return "BAD hang: no answer within 30 s";
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            boolean expected = c instanceof IllegalArgumentException || c instanceof IOException || c instanceof UncheckedIOException
                    || c instanceof PluginException;
            String message = c.getMessage();
            if (!expected) return "BAD " + c + " at " + java.util.Arrays.stream(c.getStackTrace())
                    .filter(t -> t.getClassName().startsWith("dev.rill")).findFirst().map(Object::toString).orElse("?");
            if (message == null || message.isBlank()) return "BAD no message: " + c;
            if (message.contains("\n")) return "BAD message of several lines: " + message;
            if (JAVA.matcher(message).find()) return "BAD message naming Java: " + message;
            return "refused: " + message;
        }
    }

    /** Runs each mutation, and fails listing every one that did not end in a load or a one-line refusal. */
    static void check(String what, List<Mutation> mutations, int atLeast) {
        assertTrue(mutations.size() >= atLeast, what + ": " + mutations.size() + " mutations, fewer than " + atLeast);
        List<String> bad = new ArrayList<>();
        Map<String, Integer> tally = new LinkedHashMap<>();
        for (Mutation m : mutations) {
            String outcome = m.run();
            tally.merge(outcome.startsWith("refused") ? "refused" : outcome.startsWith("loaded") ? "loaded" : "bad", 1, Integer::sum);
            if (outcome.startsWith("BAD")) bad.add(m.name() + " → " + outcome);
            if (Boolean.getBoolean("rill.mutations.verbose")) System.out.println(m.name() + " → " + outcome);
        }
        System.out.println(what + ": " + mutations.size() + " mutations: " + tally);
        assertTrue(bad.isEmpty(), what + ": " + bad.size() + " of " + mutations.size() + " mutations ended badly:\n" + String.join("\n", bad));
    }

    record Mutation(String name, java.util.concurrent.Callable<Path> make) {
        String run() {
            try {
                return attempt(make.call());
            } catch (Exception e) {
                throw new IllegalStateException("could not make mutation " + name, e);
            }
        }
    }

    // ---- checkpoints ----

    static Path original;
    static int copies;

    /** A small checkpoint (char vocabulary, 2 layers, rotary positions), written once. */
    static synchronized Path checkpoint() throws IOException {
        if (original != null) return original;
        Tokenizer tokenizer = REGISTRY.get(Tokenizer.class, "char");
        Vocabulary vocabulary = tokenizer.train("First Citizen: before we proceed any further, hear me speak.\n", Params.EMPTY);
        PositionalEncoding pe = REGISTRY.get(PositionalEncoding.class, "rope");
        Params peParams = pe.params(Map.of());
        GptConfig config = new GptConfig(vocabulary.size(), 16, 2, 2, 16, 64, "rope", peParams.asMap());
        Gpt gpt = new Gpt(config, pe.create(Gpt.shape(config), peParams));
        gpt.initialize(15);
        original = tmp.resolve("original");
        Checkpoint.save(original, gpt, vocabulary, tokenizer.fileName(), null);
        Files.writeString(tmp.resolve("secret.json"), "SECRET_FIRST_TOKEN and more\n");
        return original;
    }

    /** A fresh copy of the checkpoint. */
    static Path copy() throws IOException {
        Path dir = tmp.resolve("c" + copies++);
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(checkpoint())) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        return dir;
    }

    static String tokenizerFile() throws IOException {
        return JSON.readTree(checkpoint().resolve(Checkpoint.CONFIG).toFile()).path("rill").path("tokenizer").path("file").asText();
    }

    static final List<String> FIELDS = List.of("vocab_size", "n_positions", "n_ctx", "n_embd", "n_layer", "n_head", "rill.max_context",
            "rill.format_version", "rill.architecture", "rill.parameters", "rill.positional.name", "rill.positional.params", "rill.positional.params.base",
            "rill.tokenizer.name", "rill.tokenizer.file", "rill.tokenizer.params", "rill");
    static final List<String> VALUES = List.of("0", "-1", "1", "2", "3", "1.5", "16.0", "64", "1000000", "2147483647", "2147483648", "-2147483648",
            "9223372036854775807", "1e30", "\"x\"", "\"\"", "null", "true", "[]", "{}", "[1,2]", "{\"a\":1}", "\"/etc/passwd\"",
            "\"../secret.json\"", "\"/proc/self/environ\"", "\"a/../../secret.json\"", "REMOVE");

    /** The config with {@code field} (dotted path) set to {@code json}, or removed. */
    static Path withField(String field, String json) throws IOException {
        Path dir = copy();
        Path config = dir.resolve(Checkpoint.CONFIG);
        ObjectNode root = (ObjectNode) JSON.readTree(config.toFile());
        String[] path = field.split("\\.");
        JsonNode parent = root;
        for (int i = 0; i < path.length - 1; i++) parent = parent.path(path[i]);
        if (parent instanceof ObjectNode o) {
            if (json.equals("REMOVE")) o.remove(path[path.length - 1]);
            else o.set(path[path.length - 1], JSON.readTree(json));
        }
        Files.write(config, JSON.writeValueAsBytes(root));
        return dir;
    }

    static Path flipped(Path dir, String file, SplittableRandom r, int flips, int within) throws IOException {
        Path f = dir.resolve(file);
        byte[] b = Files.readAllBytes(f);
        for (int i = 0; i < flips; i++) {
            int at = r.nextInt(Math.min(b.length, within));
            b[at] = (byte) (r.nextBoolean() ? r.nextInt(256) : b[at] ^ (1 << r.nextInt(8)));
        }
        Files.write(f, b);
        return dir;
    }

    static Path truncated(Path dir, String file, SplittableRandom r) throws IOException {
        Path f = dir.resolve(file);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, r.nextInt(b.length)));
        return dir;
    }

    /** The safetensors header rewritten by {@code edit} (its length field kept right). */
    static Path safetensorsHeader(UnaryOperator<ObjectNode> edit) throws IOException {
        Path dir = copy();
        Path f = dir.resolve(Checkpoint.WEIGHTS);
        byte[] b = Files.readAllBytes(f);
        long n = java.nio.ByteBuffer.wrap(b, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(b, 8, (int) n, StandardCharsets.UTF_8));
        byte[] h = JSON.writeValueAsBytes(edit.apply(header));
        byte[] data = java.util.Arrays.copyOfRange(b, 8 + (int) n, b.length);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(8 + h.length + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(data);
        Files.write(f, out.array());
        return dir;
    }

    @Test
    void mutatedCheckpointsLoadOrFailInOneLine() throws IOException {
        checkpoint();
        String tokFile = tokenizerFile();
        List<Mutation> m = new ArrayList<>();
        for (String field : FIELDS) for (String value : VALUES) m.add(new Mutation(field + " = " + value, () -> withField(field, value)));
        SplittableRandom r = new SplittableRandom(15);
        for (int i = 0; i < 40; i++) {
            long seed = r.nextLong();
            m.add(new Mutation("config.json bytes flipped #" + i, () -> flipped(copy(), Checkpoint.CONFIG, new SplittableRandom(seed), 1 + (int) (seed & 3), Integer.MAX_VALUE)));
            m.add(new Mutation("safetensors header bytes flipped #" + i, () -> flipped(copy(), Checkpoint.WEIGHTS, new SplittableRandom(seed), 1 + (int) (seed & 3), 600)));
            m.add(new Mutation(tokFile + " bytes flipped #" + i, () -> flipped(copy(), tokFile, new SplittableRandom(seed), 1 + (int) (seed & 3), Integer.MAX_VALUE)));
        }
        for (int i = 0; i < 15; i++) {
            long seed = r.nextLong();
            for (String file : List.of(Checkpoint.CONFIG, Checkpoint.WEIGHTS, tokFile)) {
                m.add(new Mutation(file + " cut short #" + i, () -> truncated(copy(), file, new SplittableRandom(seed))));
            }
        }
        String tensor = "transformer.h.0.attn.c_attn.weight";
        m.add(new Mutation("a tensor with a huge shape", () -> safetensorsHeader(h -> {
            ((ObjectNode) h.get(tensor)).set("shape", JSON.valueToTree(List.of(2147483647, 2147483647)));
            return h;
        })));
        m.add(new Mutation("a tensor with offsets beyond the file", () -> safetensorsHeader(h -> {
            ((ObjectNode) h.get(tensor)).set("data_offsets", JSON.valueToTree(List.of(0, Long.MAX_VALUE)));
            return h;
        })));
        m.add(new Mutation("a tensor of dtype I64", () -> safetensorsHeader(h -> {
            ((ObjectNode) h.get(tensor)).put("dtype", "I64");
            return h;
        })));
        m.add(new Mutation("a tensor missing", () -> safetensorsHeader(h -> {
            h.remove(tensor);
            return h;
        })));
        m.add(new Mutation("a tensor of another shape", () -> safetensorsHeader(h -> {
            ((ObjectNode) h.get(tensor)).set("shape", JSON.valueToTree(List.of(48, 16)));
            return h;
        })));
        m.add(new Mutation("no config", () -> {
            Path d = copy();
            Files.delete(d.resolve(Checkpoint.CONFIG));
            return d;
        }));
        m.add(new Mutation("the tokenizer file a folder", () -> {
            Path d = copy();
            Files.delete(d.resolve(tokFile));
            Files.createDirectory(d.resolve(tokFile));
            return d;
        }));
        m.add(new Mutation("the tokenizer file a link out of the folder", () -> {
            Path d = copy();
            Files.delete(d.resolve(tokFile));
            Files.createSymbolicLink(d.resolve(tokFile), tmp.resolve("secret.json"));
            return d;
        }));
        check("checkpoint", m, 300);
    }

    @Test
    void shapesAreCheckedBeforeAnythingIsAllocatedAndFilesStayInTheirFolder() throws IOException {
        for (String[] c : new String[][]{
                {"n_layer", "2147483647", "n_layer"}, {"n_layer", "1000000", "n_layer"}, {"n_layer", "1.5", "integer"},
                {"rill.max_context", "2147483647", "max_context"}, {"n_embd", "1000000", "n_embd"}, {"vocab_size", "2147483647", "vocab_size"}}) {
            long t0 = System.nanoTime();
            String outcome = attempt(withField(c[0], c[1]));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(outcome.startsWith("refused") && outcome.contains(c[2]), c[0] + " = " + c[1] + " → " + outcome);
            assertTrue(ms < 5000, c[0] + " = " + c[1] + " took " + ms + " ms to refuse");
        }
        for (String file : List.of("/etc/passwd", "../secret.json", tmp.resolve("secret.json").toString(), "a/../../secret.json", "/proc/self/environ")) {
            String outcome = attempt(withField("rill.tokenizer.file", JSON.writeValueAsString(file)));
            assertTrue(outcome.startsWith("refused") && outcome.contains("inside the checkpoint folder"), file + " → " + outcome);
        }
        // A tokenizer file that is not one: said without quoting what it holds.
        Path dir = copy();
        Files.writeString(dir.resolve(tokenizerFile()), "SECRET_FIRST_TOKEN and more\n");
        String outcome = attempt(dir);
        assertTrue(outcome.startsWith("refused"), outcome);
        assertFalse(outcome.contains("SECRET"), outcome);
    }

    @Test
    void theParameterCountCheckedBeforeAllocatingIsTheModels() {
        for (String encoding : List.of("learned", "rope", "alibi")) {
            PositionalEncoding pe = REGISTRY.get(PositionalEncoding.class, encoding);
            GptConfig c = new GptConfig(37, 12, 3, 4, 24, 48, encoding, Map.of());
            var encoder = pe.create(Gpt.shape(c), pe.params(Map.of()));
            long counted = c.parameterCount(encoder.parameters().stream().map(dev.rill.spi.TensorSpec::shape).toList());
            org.junit.jupiter.api.Assertions.assertEquals(new Gpt(c, encoder).parameterCount(), counted, encoding);
        }
    }

    // ---- GGUF ----

    static final TinyGguf SHAPE = new TinyGguf("llama", 40, 64, 2, 4, 2, 96, 16);

    static Path gguf(String name, UnaryOperator<GgufWriter> tweak) throws IOException {
        return SHAPE.write(tmp.resolve(name + ".gguf"), DType.Q8_0, 15, tweak);
    }

    @Test
    void mutatedGgufFilesLoadOrFailInOneLine() throws IOException {
        Path good = gguf("good", w -> w);
        assertTrue(attempt(good).equals("loaded"), attempt(good));
        long dataOffset;
        try (GgufFile f = GgufFile.open(good)) {
            dataOffset = f.dataOffset();
        }
        List<Mutation> m = new ArrayList<>();
        List<String> keys = List.of("context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count",
                "attention.head_count_kv", "attention.key_length", "attention.value_length", "rope.dimension_count");
        List<Long> values = List.of(0L, 1L, 3L, 7L, 1000L, 65536L, 1000000L, 2147483647L, 4294967295L);
        int n = 0;
        for (String key : keys) {
            for (long v : values) {
                String name = "g" + n++;
                m.add(new Mutation("llama." + key + " = " + v, () -> gguf(name, w -> w.putUInt32("llama." + key, v))));
            }
            String name = "g" + n++;
            m.add(new Mutation("llama." + key + " a string", () -> gguf(name, w -> w.putString("llama." + key, "many"))));
            String huge = "g" + n++;
            m.add(new Mutation("llama." + key + " = 2^63-1 (int64)", () -> gguf(huge, w -> w.put("llama." + key, GgufValueType.INT64, Long.MAX_VALUE))));
        }
        for (String[] kv : new String[][]{{"general.architecture", "gpt2"}, {"general.architecture", ""}, {"tokenizer.ggml.model", "bert"},
                {"tokenizer.ggml.model", "llama"}, {"tokenizer.ggml.pre", "unknown-pre"}, {"llama.rope.scaling.type", "yarn"},
                {"tokenizer.chat_template", "{% for m in messages %}{{ m.content "}, {"tokenizer.chat_template", "{{ raise_exception('no') }}"},
                {"tokenizer.chat_template", "{% for i in range(100000000) %}{% endfor %}"}}) {
            String name = "g" + n++;
            m.add(new Mutation(kv[0] + " = " + kv[1], () -> gguf(name, w -> w.putString(kv[0], kv[1]))));
        }
        for (String[] kv : new String[][]{{"tokenizer.ggml.bos_token_id", "4294967295"}, {"tokenizer.ggml.eos_token_id", "1000"},
                {"tokenizer.ggml.padding_token_id", "2147483647"}}) {
            String name = "g" + n++;
            m.add(new Mutation(kv[0] + " = " + kv[1], () -> gguf(name, w -> w.putUInt32(kv[0], Long.parseLong(kv[1])))));
        }
        for (String key : List.of("llama.attention.layer_norm_rms_epsilon", "llama.rope.freq_base")) {
            for (float v : new float[]{Float.NaN, Float.POSITIVE_INFINITY, -1f, 0f}) {
                String name = "g" + n++;
                m.add(new Mutation(key + " = " + v, () -> gguf(name, w -> w.putFloat32(key, v))));
            }
        }
        m.add(new Mutation("tokenizer.ggml.tokens empty", () -> gguf("tokens-empty", w -> w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, List.of()))));
        m.add(new Mutation("tokenizer.ggml.merges junk", () -> gguf("merges-junk",
                w -> w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, List.of("x", "a b c", " ", "!! \"\"")))));
        m.add(new Mutation("tokenizer.ggml.token_type short", () -> gguf("types-short",
                w -> w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, List.of(1, 2)))));
        byte[] bytes = Files.readAllBytes(good);
        SplittableRandom r = new SplittableRandom(15);
        for (int i = 0; i < 160; i++) {
            long seed = r.nextLong();
            int idx = i;
            m.add(new Mutation("header bytes flipped #" + i, () -> {
                SplittableRandom s = new SplittableRandom(seed);
                byte[] b = bytes.clone();
                for (int k = 0, flips = 1 + s.nextInt(4); k < flips; k++) {
                    int at = s.nextInt((int) dataOffset);
                    b[at] = (byte) (s.nextBoolean() ? s.nextInt(256) : b[at] ^ (1 << s.nextInt(8)));
                }
                Path p = tmp.resolve("flip" + idx + ".gguf");
                Files.write(p, b);
                return p;
            }));
        }
        for (int i = 0; i < 40; i++) {
            int cut = r.nextInt(bytes.length), idx = i;
            m.add(new Mutation("cut at byte " + cut, () -> {
                Path p = tmp.resolve("cut" + idx + ".gguf");
                Files.write(p, java.util.Arrays.copyOf(bytes, cut));
                return p;
            }));
        }
        check("gguf", m, 300);
    }

    @Test
    void aGgufContextTooLargeForOneArrayOrTheMemoryIsRefusedAtLoad() throws IOException {
        for (long ctx : new long[]{2147483647L, 100_000_000L}) {
            String outcome = attempt(gguf("ctx" + ctx, w -> w.putUInt32("llama.context_length", ctx)));
            assertTrue(outcome.startsWith("refused") && outcome.contains("context"), ctx + " → " + outcome);
        }
    }

    @Test
    void aGgufContextWhoseHalfPrecisionCacheFitsTheHeapLoads() throws IOException {
        // SHAPE caches 2 layers × 32 key/value dimensions: 256 bytes a position as halves, 512 as floats.
        long max = Runtime.getRuntime().maxMemory(), fits = max * 3 / 4 / 256, tooMany = max * 5 / 4 / 256;
        assertTrue(tooMany * 32 < Integer.MAX_VALUE - 16, "the test's heap is too large for its shape: " + max);
        String outcome = attempt(gguf("ctxFits", w -> w.putUInt32("llama.context_length", fits)));
        assertEquals("loaded", outcome, fits + " positions (" + (fits * 512 >> 20) + " MiB as floats, heap " + (max >> 20) + " MiB)");
        outcome = attempt(gguf("ctxTooMany", w -> w.putUInt32("llama.context_length", tooMany)));
        assertTrue(outcome.startsWith("refused") && outcome.contains("needs " + (tooMany * 256 >> 20) + " MiB"), tooMany + " → " + outcome);
    }
}
