package dev.rill.server.webui;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/**
 * The browser tests' server: the tests' random tiny model (default, from TinyModelResource), the
 * bundled Shakespeare model and {@link MarkupModel}, with a configured default temperature so the page
 * can be seen to show the server's configuration rather than the sampler's own default.
 */
public class WebUiProfile implements QuarkusTestProfile {

    static final double CONFIGURED_TEMPERATURE = 0.9;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "rill.models.shakespeare", "bundled:shakespeare",
                "rill.models." + MarkupModel.NAME, MarkupModel.checkpoint().toString(),
                "rill.sampling.params.temperature", Double.toString(CONFIGURED_TEMPERATURE));
    }
}
