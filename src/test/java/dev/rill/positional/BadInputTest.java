package dev.rill.positional;

import dev.rill.backend.cpu.CpuBackend;
import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.plugin.PluginException;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.ModelShape;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoding;
import dev.rill.train.TrainConfig;
import dev.rill.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each mistake a user can make with positional encodings gets an error naming it and what is accepted. */
class BadInputTest {

    static void assertMentions(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention '" + p + "'");
    }

    /** backward() after a forward without targets (an evaluation in between) is refused: its activations are not that loss's. */
    @Test
    void backwardNeedsTheLastForwardToHaveTargets() {
        Gpt gpt = TinyGpt.build("learned", 11, 8, 1, 2, 8, 8);
        gpt.initialize(1);
        java.util.SplittableRandom random = new java.util.SplittableRandom(2);
        int[] tokens = TinyGpt.tokens(random, 16, 11);
        gpt.forward(tokens, TinyGpt.tokens(random, 16, 11), 2, 8);
        gpt.forward(tokens, null, 2, 8);
        var e = assertThrows(IllegalStateException.class, gpt::backward);
        assertMentions(e, "backward()", "forward() with targets");
    }

    @Test
    void allFiveAreRegistered() {
        assertEquals(List.of("alibi", "learned", "none", "rope", "sinusoidal"), TinyGpt.REGISTRY.names(PositionalEncoding.class));
    }

    @Test
    void unknownEncodingListsTheAvailableOnes() {
        var e = assertThrows(PluginException.class, () -> TinyGpt.REGISTRY.get(PositionalEncoding.class, "xpos"));
        assertMentions(e, "unknown positional encoding 'xpos'", "alibi, learned, none, rope, sinusoidal");
    }

    @Test
    void ropeNeedsAnEvenHeadDimension() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new RotaryPositions().create(new ModelShape(14, 2, 7, 8, 8), Params.EMPTY));
        assertMentions(e, "rope", "even", "headDim 7", "nEmb 14", "nHead 2");
    }

    @Test
    void ropeBaseAndFactorMustBePositive() {
        RotaryPositions rope = new RotaryPositions();
        for (Object base : new Object[]{0, -10000, "0"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> rope.params(Map.of("base", base)));
            assertMentions(e, "'rope'", "'base'", base.toString(), "(0, inf]");
        }
        for (String scaling : new String[]{"linear", "llama3"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> rope.params(Map.of("scaling", scaling, "factor", 0)));
            assertMentions(e, "'rope'", "'factor'", "(0, inf]");
            e = assertThrows(IllegalArgumentException.class, () -> rope.params(Map.of("scaling", scaling, "factor", -2.5)));
            assertMentions(e, "'factor'", "-2.5");
        }
        var e = assertThrows(IllegalArgumentException.class, () -> new SinusoidalPositions().params(Map.of("base", 0)));
        assertMentions(e, "'sinusoidal'", "'base'");
    }

    @Test
    void ropeRejectsScalingSettingsItWouldIgnore() {
        RotaryPositions rope = new RotaryPositions();
        ModelShape shape = new ModelShape(16, 2, 8, 8, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> rope.create(shape, rope.params(Map.of("factor", 8))));
        assertMentions(e, "'factor'", "linear or llama3", "scaling is none");
        e = assertThrows(IllegalArgumentException.class,
                () -> rope.create(shape, rope.params(Map.of("scaling", "linear", "factor", 2, "original_context", 4096))));
        assertMentions(e, "'original_context'", "llama3", "scaling is linear");
        e = assertThrows(IllegalArgumentException.class,
                () -> rope.create(shape, rope.params(Map.of("scaling", "llama3", "low_freq_factor", 4, "high_freq_factor", 2))));
        assertMentions(e, "high_freq_factor > low_freq_factor");
    }

    @Test
    void unknownParametersAndChoicesAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> new RotaryPositions().params(Map.of("theta", 5)));
        assertMentions(e, "no parameter 'theta'", "base", "pairing", "scaling");
        e = assertThrows(IllegalArgumentException.class, () -> new RotaryPositions().params(Map.of("pairing", "interleaved")));
        assertMentions(e, "interleaved", "one of adjacent, half");
        e = assertThrows(IllegalArgumentException.class, () -> new RotaryPositions().params(Map.of("scaling", "yarn")));
        assertMentions(e, "yarn", "one of none, linear, llama3");
        e = assertThrows(IllegalArgumentException.class, () -> new AlibiPositions().params(Map.of("slope", 1)));
        assertMentions(e, "'alibi' has no parameter 'slope'", "it takes none");
    }

    @Test
    void learnedCannotRunPastItsTable() {
        int T = 8;
        // Even with a longer maximum context configured, learned positions stop at T.
        GptConfig config = new GptConfig(11, T, 1, 2, 8, 2 * T, "learned", Map.of());
        Gpt gpt = new Gpt(config, new LearnedPositions().create(Gpt.shape(config), Params.EMPTY));
        gpt.initialize(1);
        assertEquals(T, gpt.positional.maxPositions());
        var e = assertThrows(IllegalArgumentException.class, () -> gpt.forward(new int[T + 1], null, 1, T + 1));
        assertMentions(e, "sequence length 9", "8 positions", "'learned'");
        e = assertThrows(IllegalArgumentException.class, () -> gpt.positional.embed(gpt.weights().positionalWeights(), new float[8], 0, T));
        assertMentions(e, "learned positions exist only for 0..7", "position 8");
        try (ForwardPass pass = new CpuBackend().prepare(gpt.weights(), Params.EMPTY); KvCache cache = pass.newCache(2 * T)) {
            float[] logits = new float[11];
            pass.forward(cache, new int[T], 0, T, logits);
            e = assertThrows(IllegalArgumentException.class, () -> pass.forward(cache, new int[1], 0, 1, logits));
            assertMentions(e, "position 8", "8 positions");
        }
    }

    @Test
    void trainingLearnedPositionsForALongerContextIsRefused(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("text.txt");
        Files.writeString(data, "to be or not to be\n".repeat(40));
        TrainConfig config = new TrainConfig(data, tmp.resolve("out"), "char", Map.of(), "learned", Map.of(),
                1, 2, 8, 8, 16, 4, 2, 1e-3, 1e-4, 0, 0.1, 0.9, 0.99, 1.0, 1, 1, 0, 0, 1, 1, 0.1);
        var e = assertThrows(IllegalArgumentException.class, () -> new Trainer(TinyGpt.REGISTRY, null).train(config));
        assertMentions(e, "max-context 16", "8 positions", "'learned'", "T=8", "max-context 0");
        assertFalse(Files.exists(tmp.resolve("out")), "nothing is written for a refused run");
        // The same context is fine for an encoding that runs past T.
        TrainConfig rope = new TrainConfig(data, tmp.resolve("out"), "char", Map.of(), "rope", Map.of(),
                1, 2, 8, 8, 16, 4, 2, 1e-3, 1e-4, 0, 0.1, 0.9, 0.99, 1.0, 1, 1, 0, 0, 1, 1, 0.1);
        new Trainer(TinyGpt.REGISTRY, null).train(rope);
        assertEquals(16, dev.rill.model.Checkpoint.load(tmp.resolve("out"), TinyGpt.REGISTRY).model().config.maxContext());
    }
}
