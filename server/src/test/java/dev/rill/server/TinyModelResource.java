package dev.rill.server;

import dev.rill.model.TinyModel;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * Serves {@link TinyModel} in every {@code @QuarkusTest}, with small limits so that queueing,
 * overload and chunked prompts are reachable: 2 generations at once, 2 waiting, prompts in chunks
 * of 8 tokens, WebSocket messages up to 8 KiB, request bodies within 2 s.
 */
public class TinyModelResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.ofEntries(
                Map.entry("rill.model", TinyModel.checkpoint().toString()),
                Map.entry("rill.model-name", TinyModel.NAME),
                Map.entry("rill.generation.max-concurrent", "2"),
                Map.entry("rill.generation.queue-size", "2"),
                Map.entry("rill.generation.prefill-chunk", "8"),
                Map.entry("rill.generation.max-tokens", "100000"),
                Map.entry("rill.generation.default-max-tokens", "32"),
                Map.entry("rill.limits.max-message-size", "8192"),
                Map.entry("rill.limits.body-timeout", "2s"),
                Map.entry("rill.exit-on-load-failure", "false"),
                // Per-client limits above what the tiny server holds, so that its own queue limit is what the tests reach.
                Map.entry("rill.limits.per-client.max-concurrent", "16"),
                Map.entry("rill.limits.per-client.max-queued", "16"));
    }

    @Override
    public void stop() {
    }
}
