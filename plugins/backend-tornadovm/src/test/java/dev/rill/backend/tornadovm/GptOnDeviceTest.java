package dev.rill.backend.tornadovm;

import dev.rill.model.Checkpoint;
import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rill's GPT (learned positions, LayerNorm, GELU, GPT-2's IN_OUT projections, tied head) on the
 * TornadoVM device against the cpu backend: a 64-token greedy generation with the KV cache gives
 * the same tokens and logits within 1e-4. The shape is the default model's class (6 layers, 6 heads,
 * 384 wide, 256 positions, 66 symbols), randomly initialised, and the bundled model itself.
 */
class GptOnDeviceTest {

    private static Gpt gpt() {
        GptConfig config = new GptConfig(66, 256, 6, 6, 384, 0, "learned", Map.of());
        PositionalEncoding learned = DeviceTests.REGISTRY.get(PositionalEncoding.class, "learned");
        PositionalEncoder pe = learned.create(Gpt.shape(config), learned.params(Map.of()));
        Gpt gpt = new Gpt(config, pe);
        gpt.initialize(1234);
        return gpt;
    }

    @Test
    void greedyGenerationMatchesCpu() {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        Gpt gpt = gpt();
        GptConfig config = gpt.config;
        int[] prompt = new SplittableRandom(5).ints(8, 0, config.nVocab()).toArray();
        try (ForwardPass cpu = DeviceTests.cpu(gpt.weights());
             ForwardPass device = DeviceTests.tornado(tornado, gpt.weights(), Map.of("max-sequences", 1))) {
            double worst = DeviceTests.greedyMatches(cpu, device, prompt, 64, "gpt 6x384");
            System.out.printf("gpt 6x384 learned: 64 greedy tokens identical, max relative logit difference %.3g%n", worst);
        }
    }

    @Test
    void theBundledModelGeneratesAsOnTheCpu() throws Exception {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        Checkpoint.Loaded bundled = Checkpoint.load(Path.of(System.getProperty("rill.bundled.model", "../../models/shakespeare")), DeviceTests.REGISTRY);
        int[] prompt = bundled.vocabulary().encode("ROMEO:\n");
        try (ForwardPass cpu = DeviceTests.cpu(bundled.model().weights());
             ForwardPass device = DeviceTests.tornado(tornado, bundled.model().weights(), Map.of("max-sequences", 1))) {
            double worst = DeviceTests.greedyMatches(cpu, device, prompt, 64, "bundled shakespeare");
            System.out.printf("bundled shakespeare (%s): 64 greedy tokens identical, max relative logit difference %.3g%n",
                    bundled.dir(), worst);
        }
    }

    @Test
    void refusesKvCachesLargerThanTheDevice() {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        // 4096 sequences × 256 positions × 384 × 6 layers × 2 × 4 bytes = 18 GiB of keys and values
        var e = assertThrows(IllegalArgumentException.class,
                () -> DeviceTests.tornado(tornado, gpt().weights(), Map.of("max-sequences", 4096)));
        assertTrue(e.getMessage().startsWith("the model needs 18.") && e.getMessage().contains("KV cache 18.00 for 4096 sequences of 256 positions"),
                e.getMessage());
    }
}
