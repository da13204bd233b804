package dev.rill.positional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.backend.cpu.CpuBackend;
import dev.rill.model.Checkpoint;
import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.plugin.PluginException;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.rill.positional.BadInputTest.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A checkpoint records its encoding by name with every parameter, and loading it rebuilds the
 * same model: identical logits, within and (where the encoding allows) past T, on the training
 * path and the KV-cache path. A checkpoint naming an encoding that is not installed says so.
 */
class CheckpointTest {

    static final int T = 8, L = 2, NH = 2, C = 16;
    static final ObjectMapper JSON = new ObjectMapper();
    static final Tokenizer CHAR = TinyGpt.REGISTRY.get(Tokenizer.class, "char");

    @TempDir
    Path tmp;

    /** A char vocabulary of 13 symbols. */
    static Vocabulary vocabulary() {
        return CHAR.train("abcdefghijkl\n", CHAR.params(Map.of()));
    }

    /** A model as the trainer makes one: the config records the parameters with their defaults filled in. */
    static Gpt model(String variant, int nVocab, int maxContext) {
        String name = TinyGpt.encoding(variant);
        PositionalEncoding pe = TinyGpt.REGISTRY.get(PositionalEncoding.class, name);
        Params params = pe.params(TinyGpt.VARIANTS.get(variant));
        GptConfig config = new GptConfig(nVocab, T, L, NH, C, maxContext, name, params.asMap());
        return new Gpt(config, pe.create(Gpt.shape(config), params));
    }

    @ParameterizedTest
    @ValueSource(strings = {"learned", "sinusoidal", "sinusoidal-paper", "rope", "rope-half", "rope-llama3", "alibi", "none"})
    void savedAndLoadedGivesIdenticalLogits(String variant) throws IOException {
        Vocabulary vocab = vocabulary();
        int V = vocab.size();
        int maxContext = variant.equals("learned") ? T : 3 * T;
        Gpt gpt = model(variant, V, maxContext);
        TinyGpt.randomize(gpt, 23, 0.3);
        Path dir = tmp.resolve(variant);
        Checkpoint.save(dir, gpt, vocab, CHAR.fileName(), null);

        // config.json names the encoding and holds every parameter, given or default.
        JsonNode pe = JSON.readTree(dir.resolve(Checkpoint.CONFIG).toFile()).path("rill").path("positional");
        assertEquals(TinyGpt.encoding(variant), pe.path("name").asText());
        Map<?, ?> written = JSON.convertValue(pe.path("params"), Map.class);
        assertEquals(gpt.positional.params().asMap().keySet(), written.keySet());
        TinyGpt.VARIANTS.get(variant).forEach((k, v) -> {
            JsonNode value = pe.path("params").path(k);
            if (v instanceof Number number) assertEquals(number.doubleValue(), value.asDouble(), k);
            else assertEquals(v, value.asText(), k);
        });

        Checkpoint.Loaded loaded = Checkpoint.load(dir, TinyGpt.REGISTRY);
        Gpt back = loaded.model();
        assertEquals(gpt.config, back.config);
        assertEquals(gpt.positional.params().asMap(), back.positional.params().asMap());
        assertEquals(maxContext, back.positional.maxPositions());
        assertArrayEquals(gpt.params, back.params);

        int n = maxContext;
        int[] tokens = TinyGpt.tokens(new SplittableRandom(9), n, V);
        gpt.forward(tokens, null, 1, n);
        back.forward(tokens, null, 1, n);
        assertArrayEquals(gpt.logits(), back.logits(), variant);

        // The served path (KV cache, one token at a time) of the loaded model gives the same last logits.
        float[] expected = new float[V], actual = new float[V];
        System.arraycopy(gpt.logits(), (n - 1) * V, expected, 0, V);
        try (ForwardPass pass = new CpuBackend().prepare(back.weights(), Params.EMPTY); KvCache cache = pass.newCache(n)) {
            for (int t = 0; t < n; t++) pass.forward(cache, tokens, t, t + 1, actual);
        }
        // Within 1e-3: the served path caches keys and values as halves (11 significant bits).
        for (int v = 0; v < V; v++) assertEquals(expected[v], actual[v], 1e-3 * Math.max(1, Math.abs(expected[v])), variant + " token " + v);
    }

    @Test
    void aCheckpointWhoseEncodingIsNotInstalledNamesItAndThePluginFolder() throws IOException {
        Vocabulary vocab = vocabulary();
        // A model made with rope but recorded under a name no installed plugin has.
        GptConfig config = new GptConfig(vocab.size(), T, L, NH, C, T, "xpos", Map.of());
        Gpt gpt = new Gpt(config, new RotaryPositions().create(Gpt.shape(config), Params.EMPTY));
        gpt.initialize(1);
        Path dir = tmp.resolve("xpos-model");
        Checkpoint.save(dir, gpt, vocab, CHAR.fileName(), null);

        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        var e = assertThrows(PluginException.class, () -> Checkpoint.load(dir, PluginRegistry.load(plugins)));
        assertMentions(e, dir.toString(), "needs positional encoding 'xpos'", "available: alibi, learned, none, rope, sinusoidal",
                "put the jar that provides it into the plugin folder " + plugins.toAbsolutePath());

        e = assertThrows(PluginException.class, () -> Checkpoint.load(dir, TinyGpt.REGISTRY));
        assertMentions(e, dir.toString(), "needs positional encoding 'xpos'", "no plugin folder configured", "--plugins DIR");
    }
}
