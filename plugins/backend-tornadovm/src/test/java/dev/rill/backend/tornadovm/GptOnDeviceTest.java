package dev.rill.backend.tornadovm;

import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * Rill's GPT (learned positions, LayerNorm, GELU, GPT-2's IN_OUT projections, tied head) on the
 * TornadoVM device against the cpu backend: a 64-token greedy generation with the KV cache gives
 * the same tokens and logits within 1e-4. The shape is the default model's class (6 layers, 6 heads,
 * 384 wide, 256 positions, 66 symbols), randomly initialised.
 */
class GptOnDeviceTest {

    @Test
    void greedyGenerationMatchesCpu() {
        ComputeBackend tornado = DeviceTests.tornadoOrSkip();
        GptConfig config = new GptConfig(66, 256, 6, 6, 384, 0, "learned", Map.of());
        PositionalEncoding learned = DeviceTests.REGISTRY.get(PositionalEncoding.class, "learned");
        PositionalEncoder pe = learned.create(Gpt.shape(config), learned.params(Map.of()));
        Gpt gpt = new Gpt(config, pe);
        gpt.initialize(1234);
        int[] prompt = new SplittableRandom(5).ints(8, 0, config.nVocab()).toArray();
        try (ForwardPass cpu = DeviceTests.cpu(gpt.weights());
             ForwardPass device = DeviceTests.tornado(tornado, gpt.weights(), Map.of("max-sequences", 1))) {
            double worst = DeviceTests.greedyMatches(cpu, device, prompt, 64, "gpt 6x384");
            System.out.printf("gpt 6x384 learned: 64 greedy tokens identical, max relative logit difference %.3g%n", worst);
        }
    }
}
