package dev.rill.backend.tornadovm;

import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoding;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Without TornadoVM (a JVM started without its argfile), the backend still loads, says why it is
 * unavailable, and refuses to prepare a model rather than falling back to the CPU.
 */
class UnavailableTest {

    @Test
    void choosingItWithoutTornadoVmFailsWithTheReason() {
        ComputeBackend backend = DeviceTests.REGISTRY.get(ComputeBackend.class, TornadoVmBackend.NAME);
        ComputeBackend.Availability availability = backend.availability();
        assumeFalse(availability.available(), "TornadoVM is available here; this test is for JVMs without it");
        assertFalse(availability.reason().isBlank());
        GptConfig config = new GptConfig(10, 8, 1, 2, 8, 0, "learned", Map.of());
        PositionalEncoding learned = DeviceTests.REGISTRY.get(PositionalEncoding.class, "learned");
        Gpt gpt = new Gpt(config, learned.create(Gpt.shape(config), learned.params(Map.of())));
        var e = assertThrows(IllegalStateException.class, () -> backend.prepare(gpt.weights(), Params.EMPTY));
        assertTrue(e.getMessage().contains("'tornadovm' is unavailable: " + availability.reason()), e.getMessage());
    }
}
