package dev.rill.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.generate.BatchScheduler;
import dev.rill.generate.GenerationResult;
import dev.rill.sampling.SamplerChain;
import dev.rill.server.api.ApiException;
import dev.rill.server.api.ErrorBody;
import dev.rill.server.api.JsonInput;
import dev.rill.server.chat.ChatMessage;
import dev.rill.server.generation.GenerationService;
import dev.rill.server.model.ModelService;
import dev.rill.server.model.ServedModel;
import dev.rill.server.openai.OpenAiResponses.AssistantMessage;
import dev.rill.server.openai.OpenAiResponses.ChatChoice;
import dev.rill.server.openai.OpenAiResponses.ChatChunk;
import dev.rill.server.openai.OpenAiResponses.ChatCompletion;
import dev.rill.server.openai.OpenAiResponses.ChunkChoice;
import dev.rill.server.openai.OpenAiResponses.Delta;
import dev.rill.server.openai.OpenAiResponses.TextChoice;
import dev.rill.server.openai.OpenAiResponses.TextCompletion;
import dev.rill.server.openai.OpenAiResponses.Timings;
import dev.rill.server.openai.OpenAiResponses.Usage;
import dev.rill.spi.ParamSpec;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The OpenAI wire format: {@code /v1/chat/completions}, {@code /v1/completions} (JSON, or with
 * {@code "stream": true} Server-Sent Events ending with {@code data: [DONE]}, usage in the last
 * chunk) and {@code /v1/models}. A client that goes away cancels its generation within 0.1 s.
 */
@Path("/v1")
@Tag(name = "OpenAI-compatible API")
public class OpenAiResource {

    static final ObjectMapper OUT = new ObjectMapper();
    private static final long POLL_MS = 100, KEEP_ALIVE_MS = 15_000;
    private static final String SSE = "text/event-stream";

    @Inject
    GenerationService generation;
    @Inject
    ModelService models;


    @GET
    @Path("/models")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The models served")
    public OpenAiResponses.ModelList listModels() {
        models.registry();   // 503 while loading
        return new OpenAiResponses.ModelList("list", models.all().stream().map(OpenAiResource::describe).toList());
    }

    @GET
    @Path("/models/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "One served model")
    public OpenAiResponses.Model getModel(@PathParam("id") String id) {
        return describe(models.get(id, "model"));
    }

    private static OpenAiResponses.Model describe(ServedModel m) {
        return new OpenAiResponses.Model(m.name(), "model", m.created(), "rill");
    }

    @POST
    @Path("/chat/completions")
    @Blocking
    @Produces({MediaType.APPLICATION_JSON, SSE})
    @Operation(summary = "Chat completion; with \"stream\": true, Server-Sent Events of chat.completion.chunk objects ending with data: [DONE]")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiRequests.Chat.class)))
    @APIResponse(responseCode = "200", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ChatCompletion.class)),
            @Content(mediaType = SSE, schema = @Schema(implementation = ChatChunk.class))})
    @APIResponse(responseCode = "400", description = "invalid request", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "429", description = "overloaded; see Retry-After", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Response chat(String body, @Context HttpServerResponse http) {
        long arrival = System.nanoTime();
        JsonNode tree = parse(body, "chat");
        OpenAiRequests.Chat req = bind(tree, OpenAiRequests.Chat.class, "chat");
        GenerationService.Prepared prepared = prepare("chat", tree, () -> {
            if (req.tools() != null && !req.tools().isNull() && !(req.tools().isArray() && req.tools().isEmpty())) {
                throw ApiException.invalid("tools", "tool calls are not supported by Rill");
            }
            return input(req, tree, messages(req.messages()), null);
        });
        EventQueue events = new EventQueue();
        BatchScheduler.Job job = generation.submit("chat", prepared, arrival, events);
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        String model = prepared.model().name();
        if (Boolean.TRUE.equals(req.stream())) {
            return sse(http, job, events, arrival, new Chunks() {
                public Object first() {
                    return new ChatChunk(id, "chat.completion.chunk", created, model, List.of(new ChunkChoice(0, new Delta("assistant", ""), null)), null, null);
                }

                public Object token(String text) {
                    return new ChatChunk(id, "chat.completion.chunk", created, model, List.of(new ChunkChoice(0, new Delta(null, text), null)), null, null);
                }

                public Object last(GenerationResult r, Timings t) {
                    return new ChatChunk(id, "chat.completion.chunk", created, model, List.of(new ChunkChoice(0, new Delta(null, null), finish(r))),
                            Usage.of(r.promptTokens(), r.completionTokens()), t);
                }
            });
        }
        Outcome o = await(http, job, events, arrival);
        GenerationResult r = o.result();
        return Response.ok(new ChatCompletion(id, "chat.completion", created, model,
                List.of(new ChatChoice(0, new AssistantMessage("assistant", r.text()), finish(r))),
                Usage.of(r.promptTokens(), r.completionTokens()), o.timings()), MediaType.APPLICATION_JSON).build();
    }

    @POST
    @Path("/completions")
    @Blocking
    @Produces({MediaType.APPLICATION_JSON, SSE})
    @Operation(summary = "Text completion of a raw prompt (no chat template); with \"stream\": true, Server-Sent Events ending with data: [DONE]")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiRequests.Completion.class)))
    @APIResponse(responseCode = "200", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TextCompletion.class)),
            @Content(mediaType = SSE, schema = @Schema(implementation = TextCompletion.class))})
    @APIResponse(responseCode = "400", description = "invalid request", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "429", description = "overloaded; see Retry-After", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Response completions(String body, @Context HttpServerResponse http) {
        long arrival = System.nanoTime();
        JsonNode tree = parse(body, "completions");
        OpenAiRequests.Completion req = bind(tree, OpenAiRequests.Completion.class, "completions");
        String[] promptText = new String[1];
        GenerationService.Prepared prepared = prepare("completions", tree, () -> {
            if (req.suffix() != null) throw ApiException.invalid("suffix", "suffix (fill-in-the-middle) is not supported by Rill");
            promptText[0] = promptText(req.prompt());
            return input(req, tree, null, promptText[0]);
        });
        EventQueue events = new EventQueue();
        BatchScheduler.Job job = generation.submit("completions", prepared, arrival, events);
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        String model = prepared.model().name();
        boolean echo = Boolean.TRUE.equals(req.echo());
        if (Boolean.TRUE.equals(req.stream())) {
            return sse(http, job, events, arrival, new Chunks() {
                public Object first() {
                    return echo ? token(promptText[0]) : null;
                }

                public Object token(String text) {
                    return new TextCompletion(id, "text_completion", created, model, List.of(new TextChoice(0, text, null, null)), null, null);
                }

                public Object last(GenerationResult r, Timings t) {
                    return new TextCompletion(id, "text_completion", created, model, List.of(new TextChoice(0, "", null, finish(r))),
                            Usage.of(r.promptTokens(), r.completionTokens()), t);
                }
            });
        }
        Outcome o = await(http, job, events, arrival);
        GenerationResult r = o.result();
        return Response.ok(new TextCompletion(id, "text_completion", created, model,
                List.of(new TextChoice(0, (echo ? promptText[0] : "") + r.text(), null, finish(r))),
                Usage.of(r.promptTokens(), r.completionTokens()), o.timings()), MediaType.APPLICATION_JSON).build();
    }

    // ---- requests ----

    private JsonNode parse(String body, String api) {
        try {
            if (body == null || body.isBlank()) throw ApiException.invalid(null, "the request has no body; send a JSON object");
            return JsonInput.parseObject(body);
        } catch (ApiException e) {
            generation.refused(api, e);
            throw e;
        }
    }

    private <T> T bind(JsonNode tree, Class<T> type, String api) {
        try {
            return JsonInput.bind(JsonInput.LENIENT, tree, type);
        } catch (ApiException e) {
            generation.refused(api, e);
            throw e;
        }
    }

    /** Checks and prepares a request; errors about a sampling parameter name the field the request used for it. */
    private GenerationService.Prepared prepare(String api, JsonNode tree, java.util.function.Supplier<GenerationService.Input> input) {
        try {
            Map<String, String> fieldOf = new LinkedHashMap<>();
            for (ParamSpec p : SamplerChain.knownParameters(models.registry()).values()) {
                for (String alias : p.aliases()) if (tree.hasNonNull(alias)) fieldOf.put(p.name(), alias);
            }
            return generation.prepare(input.get(), new GenerationService.Fields("model", "messages", "prompt", "max_tokens", "stop",
                    name -> fieldOf.getOrDefault(name, name), "sampling.chain"));
        } catch (ApiException e) {
            generation.refused(api, e);
            throw e;
        }
    }

    private GenerationService.Input input(OpenAiRequests.Sampling req, JsonNode tree, List<ChatMessage> messages, String prompt) {
        if (req.n() != null && req.n() != 1) throw ApiException.invalid("n", "only n = 1 is supported (got " + req.n() + ")");
        GenerationService.Sampling sampling = GenerationService.Sampling.of(req.sampling(), "sampling");
        Map<String, Object> params = new LinkedHashMap<>(sampling.params());
        params.putAll(samplingFields(tree));
        return new GenerationService.Input(req.model(), messages, prompt, sampling.chain(), params, req.maxTokens(),
                GenerationService.stopStrings(req.stop(), "stop"), req.seed());
    }

    /**
     * The top-level fields that are sampling parameters, by what the installed samplers declare
     * (their names, and aliases such as OpenAI's {@code repetition_penalty}), as plain values keyed
     * by the declared name: {@code temperature}, {@code top_p}, {@code logit_bias} and the others
     * OpenAI defines, plus any other sampler's ({@code top_k}, {@code min_p}, {@code typical_p}...).
     */
    private Map<String, Object> samplingFields(JsonNode tree) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (ParamSpec p : SamplerChain.knownParameters(models.registry()).values()) {
            List<String> names = new ArrayList<>(p.aliases());
            names.addFirst(p.name());
            for (String field : names) {
                JsonNode v = tree.get(field);
                if (v != null && !v.isNull()) out.put(p.name(), OUT.convertValue(v, Object.class));
            }
        }
        return out;
    }

    private static List<ChatMessage> messages(List<OpenAiRequests.Message> in) {
        if (in == null) throw ApiException.invalid("messages", "messages is required: an array of {role, content}");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            OpenAiRequests.Message m = in.get(i);
            String at = "messages[" + i + "]";
            if (m == null) throw ApiException.invalid(at, at + " must be an object {role, content}");
            if (m.role() == null) throw ApiException.invalid(at + ".role", at + ".role is required: system, user or assistant");
            String role = m.role().equals("developer") ? ChatMessage.SYSTEM : m.role();
            if (!role.equals(ChatMessage.SYSTEM) && !role.equals(ChatMessage.USER) && !role.equals(ChatMessage.ASSISTANT)) {
                throw ApiException.invalid(at + ".role", at + ".role '" + m.role() + "' is not supported; accepted: system, developer, user, assistant");
            }
            out.add(new ChatMessage(role, content(m.content(), at + ".content")));
        }
        return out;
    }

    private static String content(JsonNode content, String at) {
        if (content == null || content.isNull()) return "";
        if (content.isTextual()) return content.asText();
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < content.size(); i++) {
                JsonNode part = content.get(i);
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.invalid(at + "[" + i + "]", at + "[" + i + "] must be a text part {\"type\": \"text\", \"text\": ...}; "
                            + "Rill's models read text only");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw ApiException.invalid(at, at + " must be a string or an array of text parts");
    }

    private static String promptText(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) throw ApiException.invalid("prompt", "prompt is required: the text to continue");
        if (prompt.isTextual()) return prompt.asText();
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) return prompt.get(0).asText();
        throw ApiException.invalid("prompt", "prompt must be a string (or an array of exactly one string)");
    }

    private static String finish(GenerationResult r) {
        return r.finishReason().wire();
    }

    // ---- responses ----

    /** The chunks of one streamed response. */
    private interface Chunks {
        /** Sent at once, before the first token ({@code null}: nothing). */
        Object first();

        Object token(String text);

        Object last(GenerationResult result, Timings timings);
    }

    private record Outcome(GenerationResult result, Timings timings) {
    }

    /** Waits for the end of a non-streamed generation, cancelling it if the client goes away. */
    private Outcome await(HttpServerResponse http, BatchScheduler.Job job, EventQueue events, long arrival) {
        long firstToken = 0;
        try {
            while (true) {
                EventQueue.Event e = events.poll(POLL_MS);
                if (e == null) {
                    if (http.closed()) {
                        job.cancel();
                        throw new ApiException(499, "client_closed", null, "the client went away");
                    }
                    continue;
                }
                switch (e) {
                    case EventQueue.Token t -> {
                        if (firstToken == 0) firstToken = t.nanos();
                    }
                    case EventQueue.Done d -> {
                        return new Outcome(d.result(), timings(d.result(), firstToken, arrival));
                    }
                    case EventQueue.Failed f -> throw failure(f.error());
                    case EventQueue.Started s -> {
                    }
                }
            }
        } catch (InterruptedException ie) {
            job.cancel();
            Thread.currentThread().interrupt();
            throw new ApiException(503, "shutting_down", null, "the server is shutting down");
        }
    }

    private static ApiException failure(RuntimeException e) {
        return e instanceof IllegalArgumentException
                ? ApiException.invalid(null, e.getMessage())
                : new ApiException(500, "generation_failed", null, "the generation failed: " + e.getMessage());
    }

    private static Timings timings(GenerationResult r, long firstToken, long arrival) {
        double ttft = firstToken == 0 ? 0 : (firstToken - arrival) / 1e6;
        return new Timings(Math.round(ttft * 100) / 100.0, Math.round(r.tokensPerSecond() * 100) / 100.0);
    }

    /** Streams a generation as Server-Sent Events; a client that goes away cancels it. */
    private Response sse(HttpServerResponse http, BatchScheduler.Job job, EventQueue events, long arrival, Chunks chunks) {
        StreamingOutput out = os -> {
            long firstToken = 0, lastWrite = System.nanoTime();
            try {
                Object first = chunks.first();
                if (first != null) event(os, first);
                else comment(os);
                while (true) {
                    EventQueue.Event e = events.poll(POLL_MS);
                    if (e == null) {
                        if (http.closed()) {
                            job.cancel();
                            return;
                        }
                        // Bytes while the request waits in the queue or its prompt runs, for proxies with idle timeouts.
                        if (System.nanoTime() - lastWrite > KEEP_ALIVE_MS * 1_000_000) {
                            comment(os);
                            lastWrite = System.nanoTime();
                        }
                        continue;
                    }
                    switch (e) {
                        case EventQueue.Token t -> {
                            if (firstToken == 0) firstToken = t.nanos();
                            if (!t.token().text().isEmpty()) {
                                event(os, chunks.token(t.token().text()));
                                lastWrite = System.nanoTime();
                            }
                        }
                        case EventQueue.Done d -> {
                            event(os, chunks.last(d.result(), timings(d.result(), firstToken, arrival)));
                            done(os);
                            return;
                        }
                        case EventQueue.Failed f -> {
                            event(os, ErrorBody.of(failure(f.error())));
                            done(os);
                            return;
                        }
                        case EventQueue.Started s -> {
                        }
                    }
                }
            } catch (IOException | RuntimeException ex) {
                job.cancel();   // the client went away mid-stream
            } catch (InterruptedException ie) {
                job.cancel();
                Thread.currentThread().interrupt();
            }
        };
        return Response.ok(out, SSE).header("Cache-Control", "no-cache").header("X-Accel-Buffering", "no").build();
    }

    private static void event(OutputStream os, Object data) throws IOException {
        os.write(("data: " + OUT.writeValueAsString(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
        os.flush();
    }

    private static void comment(OutputStream os) throws IOException {
        os.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
        os.flush();
    }

    private static void done(OutputStream os) throws IOException {
        os.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        os.flush();
    }
}
