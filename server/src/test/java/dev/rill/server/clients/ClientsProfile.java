package dev.rill.server.clients;

import dev.rill.model.TinyBpeModel;
import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** A second model whose byte-level vocabulary can write JSON and tool calls (tiny-bpe), and CORS for one origin. */
public class ClientsProfile implements QuarkusTestProfile {

    static final String ORIGIN = "https://app.example.com";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("rill.models.tiny-bpe", TinyBpeModel.checkpoint().toString(), "rill.cors.origins", ORIGIN);
    }
}
