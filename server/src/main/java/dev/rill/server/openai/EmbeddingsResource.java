package dev.rill.server.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.generate.Embeddings;
import dev.rill.server.api.ApiException;
import dev.rill.server.api.ErrorBody;
import dev.rill.server.api.JsonInput;
import dev.rill.server.model.ModelService;
import dev.rill.server.model.ServedModel;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /v1/embeddings}: for each input, the mean of the model's last hidden states over its
 * tokens, scaled to unit length ({@link Embeddings}); as float arrays or base64 of little-endian
 * float32, as OpenAI sends them. Runs on the model's scheduler thread between generation steps.
 */
@Path("/v1/embeddings")
@Tag(name = "OpenAI-compatible API")
public class EmbeddingsResource {

    /** Inputs per request. */
    static final int MAX_INPUTS = 256;

    @Inject
    ModelService models;

    @Schema(name = "EmbeddingRequest")
    record Request(String model, @Schema(description = "a string, an array of strings, an array of token ids, or an array of such arrays") JsonNode input,
                   @JsonProperty("encoding_format") String encodingFormat, Integer dimensions, String user) {
    }

    record Embedding(String object, int index, Object embedding) {
    }

    record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("total_tokens") int totalTokens) {
    }

    record Response(String object, List<Embedding> data, String model, Usage usage) {
    }

    @POST
    @Blocking
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Embeddings: the unit-length mean of the model's last hidden states over each input's tokens")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Request.class)))
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Response.class)))
    @APIResponse(responseCode = "400", description = "invalid request", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Response embed(String body) {
        if (body == null || body.isBlank()) throw ApiException.invalid(null, "the request has no body; send a JSON object");
        Request req = JsonInput.bind(JsonInput.LENIENT, JsonInput.parseObject(body), Request.class);
        if (req.dimensions() != null) {
            throw ApiException.invalid("dimensions", "dimensions is not supported: an embedding has the model's width");
        }
        boolean base64 = switch (req.encodingFormat() == null ? "float" : req.encodingFormat()) {
            case "float" -> false;
            case "base64" -> true;
            default -> throw ApiException.invalid("encoding_format", "encoding_format must be \"float\" or \"base64\" (got \"" + req.encodingFormat() + "\")");
        };
        ServedModel served = models.get(req.model(), "model");
        List<int[]> inputs = inputs(req.input(), served);
        List<Embedding> data = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            int[] ids = inputs.get(i);
            tokens += ids.length;
            float[] e = run(served, ids, "input" + (req.input().isArray() ? "[" + i + "]" : ""));
            data.add(new Embedding("embedding", i, base64 ? base64(e) : e));
        }
        return new Response("list", data, served.name(), new Usage(tokens, tokens));
    }

    /** The token ids of each input: texts are encoded, id arrays are checked against the vocabulary. */
    private static List<int[]> inputs(JsonNode input, ServedModel served) {
        if (input == null || input.isNull()) throw ApiException.invalid("input", "input is required: a string, an array of strings or of token ids");
        List<int[]> out = new ArrayList<>();
        if (input.isTextual()) {
            out.add(text(input.asText(), "input", served));
        } else if (input.isArray() && !input.isEmpty() && input.get(0).isIntegralNumber()) {
            out.add(ids(input, "input", served));
        } else if (input.isArray() && !input.isEmpty()) {
            if (input.size() > MAX_INPUTS) throw ApiException.invalid("input", "input has " + input.size() + " items; at most " + MAX_INPUTS + " are accepted");
            for (int i = 0; i < input.size(); i++) {
                JsonNode x = input.get(i);
                String at = "input[" + i + "]";
                if (x.isTextual()) out.add(text(x.asText(), at, served));
                else if (x.isArray()) out.add(ids(x, at, served));
                else throw ApiException.invalid(at, at + " must be a string or an array of token ids");
            }
        } else {
            throw ApiException.invalid("input", "input must be a non-empty string or array (of strings, or of token ids)");
        }
        return out;
    }

    private static int[] text(String s, String at, ServedModel served) {
        if (s.isEmpty()) throw ApiException.invalid(at, at + " is empty");
        try {
            return served.model().vocabulary().encode(s);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(at, e.getMessage());
        }
    }

    private static int[] ids(JsonNode array, String at, ServedModel served) {
        int nVocab = served.model().vocabulary().size();
        if (array.isEmpty()) throw ApiException.invalid(at, at + " is empty");
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = array.get(i);
            if (!t.canConvertToInt() || !t.isIntegralNumber() || t.asInt() < 0 || t.asInt() >= nVocab) {
                throw ApiException.invalid(at + "[" + i + "]", at + "[" + i + "] must be a token id in [0, " + nVocab + ")");
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    private static float[] run(ServedModel served, int[] ids, String at) {
        try {
            return served.scheduler().call(pass -> Embeddings.embed(served.model(), pass, ids)).get(5, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IllegalArgumentException iae) throw ApiException.invalid(at, iae.getMessage());
            if (c instanceof UnsupportedOperationException u) throw ApiException.invalid("model", u.getMessage());
            throw new ApiException(500, "embedding_failed", null, "the embedding failed: " + c.getMessage());
        } catch (TimeoutException e) {
            throw new ApiException(503, "timeout", null, "the model did not compute the embedding within 5 minutes");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "shutting_down", null, "the server is shutting down");
        }
    }

    private static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return Base64.getEncoder().encodeToString(b.array());
    }
}
