package dev.rill.server.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.model.ModelFacts;
import dev.rill.plugin.PluginRegistry;
import dev.rill.server.api.ApiException;
import dev.rill.server.api.JsonInput;
import dev.rill.server.model.ModelService;
import dev.rill.server.model.ServedModel;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Plugin;
import dev.rill.spi.Vocabulary;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Rill's own endpoints: plugins, models, tokenize and detokenize. */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Rill API")
public class RillResource {

    @Inject
    ModelService models;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Param(String name, String type, @JsonProperty("default") Object defaultValue, Double min, Double max,
                        @JsonProperty("min_exclusive") Boolean minExclusive, List<String> choices, String range, String description) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PluginInfo(String name, String description, List<Param> parameters, String source, Boolean available, String unavailable,
                             Boolean trainable) {
    }

    public record ModelInfo(String name, @JsonProperty("default") boolean isDefault, String source, @JsonProperty("chat_format") String chatFormat,
                            ModelFacts info) {
    }

    @Schema(name = "TokenizeRequest")
    public record TokenizeRequest(String model, String text, @JsonProperty("with_pieces") Boolean withPieces) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TokenizeResponse(String model, int[] tokens, int count, List<String> pieces) {
    }

    @Schema(name = "DetokenizeRequest")
    public record DetokenizeRequest(String model, int[] tokens) {
    }

    public record DetokenizeResponse(String model, String text) {
    }

    @GET
    @Path("/plugins")
    @Operation(summary = "Every plugin family with its providers, descriptions and parameters (defaults and ranges)")
    public Map<String, List<PluginInfo>> plugins() {
        return describe(models.registry());
    }

    /** Every plugin by family; a plugin from the plugin folder shows its jar's name, never a path on the server. */
    public static Map<String, List<PluginInfo>> describe(PluginRegistry registry) {
        Map<String, List<PluginInfo>> out = new LinkedHashMap<>();
        registry.families().forEach((family, plugins) -> {
            List<PluginInfo> list = new ArrayList<>();
            for (Plugin p : plugins) {
                List<Param> params = p.parameters().stream().map(RillResource::param).toList();
                String source = registry.pluginDir() != null && registry.source(p).endsWith(".jar")
                        ? java.nio.file.Path.of(registry.source(p)).getFileName().toString() : null;
                Boolean available = null;
                String why = null;
                if (p instanceof ComputeBackend b) {
                    available = b.availability().available();
                    why = available ? null : b.availability().reason();
                }
                Boolean trainable = p instanceof dev.rill.spi.Tokenizer t ? t.trainable() : null;   // fits a vocabulary on a text (train page)
                list.add(new PluginInfo(p.name(), p.description(), params, source, available, why, trainable));
            }
            out.put(PluginRegistry.familyName(family).replace(' ', '_'), list);
        });
        return out;
    }

    private static Param param(ParamSpec s) {
        boolean numeric = s.type() == ParamSpec.Type.INT || s.type() == ParamSpec.Type.FLOAT;
        return new Param(s.name(), s.type().name().toLowerCase(java.util.Locale.ROOT), s.defaultValue(),
                numeric ? s.min() : null, numeric ? s.max() : null, numeric && s.minExclusive() ? true : null,
                s.type() == ParamSpec.Type.CHOICE ? s.choices() : null, s.range(), s.description());
    }

    @GET
    @Path("/models")
    @Operation(summary = "The models served, with their architecture, size, context, tokenizer and positional encoding")
    public List<ModelInfo> listModels() {
        models.registry();   // 503 while loading
        return models.all().stream().map(m -> new ModelInfo(m.name(), m.name().equals(models.defaultName()),
                sourceName(m), m.chat().name(), m.model().info())).toList();
    }

    /** The model's file or folder name (not its path on the server). */
    private static String sourceName(ServedModel m) {
        java.nio.file.Path source = m.model().source();
        return source == null || source.getFileName() == null ? null : source.getFileName().toString();
    }

    @POST
    @Path("/tokenize")
    @RunOnVirtualThread
    @Operation(summary = "Text to token ids with the model's tokenizer")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TokenizeRequest.class)))
    public TokenizeResponse tokenize(String body) {
        TokenizeRequest req = JsonInput.bind(JsonInput.STRICT, JsonInput.parseObject(nonEmpty(body)), TokenizeRequest.class);
        if (req.text() == null) throw ApiException.invalid("text", "field 'text' is required: the text to tokenize");
        ServedModel m = models.get(req.model(), "model");
        Vocabulary v = m.model().vocabulary();
        int[] tokens = v.encode(req.text());
        List<String> pieces = null;
        if (Boolean.TRUE.equals(req.withPieces())) {
            pieces = new ArrayList<>();
            for (int t : tokens) pieces.add(v.piece(t));
        }
        return new TokenizeResponse(m.name(), tokens, tokens.length, pieces);
    }

    @POST
    @Path("/detokenize")
    @RunOnVirtualThread
    @Operation(summary = "Token ids to text with the model's tokenizer")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = DetokenizeRequest.class)))
    public DetokenizeResponse detokenize(String body) {
        JsonNode node = JsonInput.parseObject(nonEmpty(body));
        DetokenizeRequest req = JsonInput.bind(JsonInput.STRICT, node, DetokenizeRequest.class);
        if (req.tokens() == null) throw ApiException.invalid("tokens", "field 'tokens' is required: an array of token ids");
        ServedModel m = models.get(req.model(), "model");
        Vocabulary v = m.model().vocabulary();
        for (int i = 0; i < req.tokens().length; i++) {
            int t = req.tokens()[i];
            if (t < 0 || t >= v.size()) {
                throw ApiException.invalid("tokens[" + i + "]", "tokens[" + i + "] = " + t + " is outside the vocabulary of model '"
                        + m.name() + "' (ids 0.." + (v.size() - 1) + ")");
            }
        }
        return new DetokenizeResponse(m.name(), v.decode(req.tokens()));
    }

    private static String nonEmpty(String body) {
        if (body == null || body.isBlank()) throw ApiException.invalid(null, "the request has no body; send a JSON object");
        return body;
    }
}
