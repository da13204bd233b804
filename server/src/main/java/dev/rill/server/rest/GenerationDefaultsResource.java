package dev.rill.server.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rill.plugin.PluginRegistry;
import dev.rill.server.config.RillConfig;
import dev.rill.server.model.ModelService;
import dev.rill.server.sampling.SamplingSettings;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/generation}: what a request that leaves fields out gets, and the limits it must keep
 * to — the configured sampler chain and parameter values, and the max_tokens and stop limits. A client
 * (the web page) shows these as defaults instead of the plugins' own, so an operator's configuration
 * is what users see and get.
 */
@Path("/api/generation")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Rill API")
public class GenerationDefaultsResource {

    @Inject
    ModelService models;
    @Inject
    RillConfig config;

    /** The configured chain and the configured parameter values (typed as the declaring sampler parses them). */
    public record Sampling(List<String> chain, Map<String, Object> params) {
    }

    public record MaxTokens(@JsonProperty("default") int defaultValue, int max) {
    }

    public record Stop(int max, @JsonProperty("max_length") int maxLength) {
    }

    public record Defaults(Sampling sampling, @JsonProperty("max_tokens") MaxTokens maxTokens, Stop stop) {
    }

    @GET
    @Operation(summary = "Defaults and limits of generation requests: the configured sampler chain and parameters, max_tokens, stop strings")
    public Defaults defaults() {
        SamplingSettings sampling = models.sampling();   // 503 while loading
        PluginRegistry registry = models.registry();
        Map<String, Object> params = new LinkedHashMap<>();
        sampling.defaults().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> params.put(e.getKey(), typed(registry, e.getKey(), e.getValue())));
        var g = config.generation();
        var l = config.limits();
        return new Defaults(new Sampling(sampling.chain().stream().map(String::trim).toList(), params),
                new MaxTokens(g.defaultMaxTokens(), g.maxTokens()), new Stop(l.maxStop(), l.maxStopLength()));
    }

    /** A configured value (text) as the sampler declaring it parses it: 0.7 rather than "0.7". */
    private static Object typed(PluginRegistry registry, String name, Object value) {
        for (Sampler s : registry.all(Sampler.class)) {
            for (ParamSpec p : s.parameters()) {
                if (!p.name().equals(name)) continue;
                try {
                    return p.validate(value);
                } catch (IllegalArgumentException e) {
                    return value;   // checked when a chain uses it; here it is only shown
                }
            }
        }
        return value;
    }
}
