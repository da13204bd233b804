package dev.rill.server;

import dev.rill.model.TinyModel;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * Serves {@link TinyModel} in every {@code @QuarkusTest}, with small limits so that queueing,
 * overload and chunked prompts are reachable: 2 generations at once, 2 waiting, prompts in chunks
 * of 8 tokens, WebSocket messages up to 8 KiB.
 */
public class TinyModelResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of(
                "rill.model", TinyModel.checkpoint().toString(),
                "rill.model-name", TinyModel.NAME,
                "rill.generation.max-concurrent", "2",
                "rill.generation.queue-size", "2",
                "rill.generation.prefill-chunk", "8",
                "rill.generation.max-tokens", "100000",
                "rill.generation.default-max-tokens", "32",
                "rill.limits.max-message-size", "8192",
                "rill.exit-on-load-failure", "false");
    }

    @Override
    public void stop() {
    }
}
