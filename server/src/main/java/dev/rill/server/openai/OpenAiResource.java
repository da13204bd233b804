package dev.rill.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.generate.BatchScheduler;
import dev.rill.generate.GenerationRequest;
import dev.rill.generate.GenerationResult;
import dev.rill.generate.OverloadedException;
import dev.rill.sampling.SamplerChain;
import dev.rill.server.api.ApiException;
import dev.rill.server.api.ErrorBody;
import dev.rill.server.api.JsonInput;
import dev.rill.server.chat.ChatMessage;
import dev.rill.server.chat.Tool;
import dev.rill.server.generation.Generation;
import dev.rill.server.generation.GenerationService;
import dev.rill.server.security.ClientIds;
import dev.rill.server.model.ModelService;
import dev.rill.server.model.ServedModel;
import dev.rill.server.openai.OpenAiResponses.ChatChunk;
import dev.rill.server.openai.OpenAiResponses.ChatCompletion;
import dev.rill.server.openai.OpenAiResponses.ChunkChoice;
import dev.rill.server.openai.OpenAiResponses.Delta;
import dev.rill.server.openai.OpenAiResponses.TextChoice;
import dev.rill.server.openai.OpenAiResponses.TextCompletion;
import dev.rill.server.openai.OpenAiResponses.Timings;
import dev.rill.server.openai.OpenAiResponses.Usage;
import dev.rill.spi.ParamSpec;
import io.smallrye.common.annotation.RunOnVirtualThread;
import io.vertx.ext.web.RoutingContext;
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
    private static final long POLL_MS = 50, KEEP_ALIVE_MS = 15_000;
    private static final String SSE = "text/event-stream";

    @Inject
    GenerationService generation;
    @Inject
    ModelService models;
    @Inject
    ClientIds clients;


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
    @RunOnVirtualThread
    @Produces({MediaType.APPLICATION_JSON, SSE})
    @Operation(summary = "Chat completion; with \"stream\": true, Server-Sent Events of chat.completion.chunk objects ending with data: [DONE]")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiRequests.Chat.class)))
    @APIResponse(responseCode = "200", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ChatCompletion.class)),
            @Content(mediaType = SSE, schema = @Schema(implementation = ChatChunk.class))})
    @APIResponse(responseCode = "400", description = "invalid request", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "429", description = "overloaded; see Retry-After", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Response chat(String body, @Context RoutingContext http) {
        long arrival = System.nanoTime();
        JsonNode tree = parse(body, "chat");
        OpenAiRequests.Chat req = bind(tree, OpenAiRequests.Chat.class, "chat");
        ChatTools.Request[] tools = {ChatTools.Request.NONE};
        int[] n = {1};
        GenerationService.Prepared prepared = prepare("chat", tree, () -> {
            OpenAiFields.check(tree, OpenAiRequests.Chat.class, SamplerChain.knownParameters(models.registry()).values());
            n[0] = choices(req.n());
            tools[0] = ChatTools.parse(req.tools(), req.toolChoice(), req.parallelToolCalls());
            int top = chatLogprobs(req.logprobs(), req.topLogprobs());
            ServedModel served = models.get(req.model(), "model");
            String grammar = grammar(req.grammar(), ChatTools.responseFormat(req.responseFormat()), tools[0].grammar(served.chat().toolSyntax()));
            return input(req, tree, messages(req.messages()), null, top, grammar, tools[0].tools(), Boolean.TRUE.equals(req.continueFinalMessage()));
        });
        ServedModel served = prepared.model();
        boolean logprobs = prepared.request().logprobs() >= 0;
        List<ChoiceOutput> outputs = new ArrayList<>();
        for (int i = 0; i < n[0]; i++) {
            outputs.add(new ChoiceOutput(i, served.model().vocabulary(), tools[0], served.chat().toolSyntax(), logprobs));
        }
        EventQueue events = new EventQueue();
        Generation jobs = submit("chat", http, prepared, arrival, events, n[0]);
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        String model = served.name();
        if (Boolean.TRUE.equals(req.stream())) {
            boolean includeUsage = req.streamOptions() != null && Boolean.TRUE.equals(req.streamOptions().includeUsage());
            return sse(http, jobs, n[0], events, arrival, new Chunks() {
                public List<Object> first() {
                    return outputs.stream().map(o -> (Object) chunk(List.of(new ChunkChoice(o.index(), new Delta("assistant", ""), null, null)), null)).toList();
                }

                public List<Object> token(int choice, dev.rill.generate.GeneratedToken t) {
                    return outputs.get(choice).token(t).stream().map(c -> (Object) chunk(List.of(c), null)).toList();
                }

                public List<Object> done(int choice, GenerationResult r, Timings t) {
                    List<ChunkChoice> last = outputs.get(choice).done(r);
                    List<Object> out = new ArrayList<>();
                    for (int i = 0; i < last.size(); i++) out.add(chunk(List.of(last.get(i)), i == last.size() - 1 ? t : null));
                    return out;
                }

                public Object usage(Usage u) {
                    return includeUsage ? new ChatChunk(id, "chat.completion.chunk", created, model, List.of(), u, null) : null;
                }

                private ChatChunk chunk(List<ChunkChoice> choices, Timings t) {
                    return new ChatChunk(id, "chat.completion.chunk", created, model, choices, null, t);
                }
            });
        }
        Outcome o = await(http, jobs, n[0], events, arrival, outputs);
        return Response.ok(new ChatCompletion(id, "chat.completion", created, model, outputs.stream().map(ChoiceOutput::chatChoice).toList(),
                o.usage(), o.timings()), MediaType.APPLICATION_JSON).build();
    }

    @POST
    @Path("/completions")
    @RunOnVirtualThread
    @Produces({MediaType.APPLICATION_JSON, SSE})
    @Operation(summary = "Text completion of a raw prompt (no chat template); with \"stream\": true, Server-Sent Events ending with data: [DONE]")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OpenAiRequests.Completion.class)))
    @APIResponse(responseCode = "200", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TextCompletion.class)),
            @Content(mediaType = SSE, schema = @Schema(implementation = TextCompletion.class))})
    @APIResponse(responseCode = "400", description = "invalid request", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "429", description = "overloaded; see Retry-After", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Response completions(String body, @Context RoutingContext http) {
        long arrival = System.nanoTime();
        JsonNode tree = parse(body, "completions");
        OpenAiRequests.Completion req = bind(tree, OpenAiRequests.Completion.class, "completions");
        String[] promptText = new String[1];
        int[] n = {1};
        GenerationService.Prepared prepared = prepare("completions", tree, () -> {
            OpenAiFields.check(tree, OpenAiRequests.Completion.class, SamplerChain.knownParameters(models.registry()).values());
            if (req.suffix() != null) throw ApiException.invalid("suffix", "suffix (fill-in-the-middle) is not supported by Rill");
            n[0] = choices(req.n());
            if (req.bestOf() != null && req.bestOf() != n[0]) {
                throw ApiException.invalid("best_of", "best_of is not supported (Rill does not rank choices); leave it out or equal to n");
            }
            if (req.logprobs() != null && (req.logprobs() < 0 || req.logprobs() > GenerationRequest.MAX_LOGPROBS)) {
                throw ApiException.invalid("logprobs", "logprobs must be an integer from 0 to " + GenerationRequest.MAX_LOGPROBS + " (got " + req.logprobs() + ")");
            }
            if (req.logprobs() != null && Boolean.TRUE.equals(req.echo())) {
                throw ApiException.invalid("logprobs", "logprobs with echo would need the prompt's log-probabilities, which Rill does not compute");
            }
            promptText[0] = promptText(req.prompt());
            return input(req, tree, null, promptText[0], req.logprobs() == null ? -1 : req.logprobs(), grammar(req.grammar(), null, null), List.of(), false);
        });
        ServedModel served = prepared.model();
        boolean logprobs = prepared.request().logprobs() >= 0;
        List<ChoiceOutput> outputs = new ArrayList<>();
        for (int i = 0; i < n[0]; i++) outputs.add(new ChoiceOutput(i, served.model().vocabulary(), ChatTools.Request.NONE, served.chat().toolSyntax(), logprobs));
        EventQueue events = new EventQueue();
        Generation jobs = submit("completions", http, prepared, arrival, events, n[0]);
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        String model = served.name();
        String echo = Boolean.TRUE.equals(req.echo()) ? promptText[0] : "";
        if (Boolean.TRUE.equals(req.stream())) {
            boolean includeUsage = req.streamOptions() != null && Boolean.TRUE.equals(req.streamOptions().includeUsage());
            int[] offsets = new int[n[0]];
            java.util.Arrays.fill(offsets, echo.length());
            return sse(http, jobs, n[0], events, arrival, new Chunks() {
                public List<Object> first() {
                    if (echo.isEmpty()) return List.of();
                    return outputs.stream().map(o -> (Object) chunk(new TextChoice(o.index(), echo, null, null), null)).toList();
                }

                public List<Object> token(int choice, dev.rill.generate.GeneratedToken t) {
                    outputs.get(choice).token(t);
                    if (t.text().isEmpty()) return List.of();
                    TextChoice c = outputs.get(choice).textChunk(t.text(), offsets[choice]);
                    offsets[choice] += t.text().length();
                    return List.of(chunk(c, null));
                }

                public List<Object> done(int choice, GenerationResult r, Timings t) {
                    ChoiceOutput o = outputs.get(choice);
                    o.done(r);
                    return List.of(chunk(new TextChoice(choice, "", null, o.finishReason()), t));
                }

                public Object usage(Usage u) {
                    return includeUsage ? new TextCompletion(id, "text_completion", created, model, List.of(), u, null) : null;
                }

                private TextCompletion chunk(TextChoice c, Timings t) {
                    return new TextCompletion(id, "text_completion", created, model, List.of(c), null, t);
                }
            });
        }
        Outcome o = await(http, jobs, n[0], events, arrival, outputs);
        return Response.ok(new TextCompletion(id, "text_completion", created, model, outputs.stream().map(c -> c.textChoice(echo)).toList(),
                o.usage(), o.timings()), MediaType.APPLICATION_JSON).build();
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

    private GenerationService.Input input(OpenAiRequests.Sampling req, JsonNode tree, List<ChatMessage> messages, String prompt,
                                          int logprobs, String grammar, List<Tool> tools, boolean continueFinal) {
        GenerationService.Sampling sampling = GenerationService.Sampling.of(req.sampling(), "sampling");
        Map<String, Object> params = new LinkedHashMap<>(sampling.params());
        params.putAll(samplingFields(tree));
        List<String> chain = sampling.chain();
        if (grammar != null) {
            params.put("grammar", grammar);
            // Structured output was asked for: a chain the request names gets the grammar step in front.
            if (chain != null && chain.stream().noneMatch(c -> c.trim().equals("grammar"))) {
                chain = new ArrayList<>(chain);
                chain.addFirst("grammar");
            }
        }
        return new GenerationService.Input(req.model(), messages, prompt, chain, params, req.maxTokens(),
                GenerationService.stopStrings(req.stop(), "stop"), req.seed(), logprobs, tools, continueFinal);
    }

    /** Most choices per request. */
    static final int MAX_CHOICES = 16;

    private static int choices(Integer n) {
        if (n == null) return 1;
        if (n < 1 || n > MAX_CHOICES) throw ApiException.invalid("n", "n must be between 1 and " + MAX_CHOICES + " (got " + n + ")");
        return n;
    }

    /** Chat's {@code logprobs} (a boolean) and {@code top_logprobs} (0..20) as the engine's count: -1 for none. */
    private static int chatLogprobs(Boolean logprobs, Integer top) {
        if (top != null && (top < 0 || top > GenerationRequest.MAX_LOGPROBS)) {
            throw ApiException.invalid("top_logprobs", "top_logprobs must be an integer from 0 to " + GenerationRequest.MAX_LOGPROBS + " (got " + top + ")");
        }
        if (!Boolean.TRUE.equals(logprobs)) {
            if (top != null) throw ApiException.invalid("top_logprobs", "top_logprobs needs logprobs: true");
            return -1;
        }
        return top == null ? 0 : top;
    }

    /** The one grammar a request asks for: its GBNF field, its response format, or its forced tool calls. */
    private static String grammar(String gbnf, String responseFormat, String tools) {
        int given = (gbnf != null ? 1 : 0) + (responseFormat != null ? 1 : 0) + (tools != null ? 1 : 0);
        if (given > 1) {
            throw ApiException.invalid(tools != null ? "tool_choice" : "response_format", "grammar, a JSON response_format and tool_choice "
                    + "\"required\" (or a named function) each fix the reply's form; give one of them");
        }
        return gbnf != null ? gbnf : responseFormat != null ? responseFormat : tools;
    }

    /** Submits a request's {@code n} choices for the client of {@code http}, cancelled the moment its connection closes. */
    private Generation submit(String api, RoutingContext http, GenerationService.Prepared prepared, long arrival, EventQueue events, int n) {
        List<BatchScheduler.Listener> listeners = new ArrayList<>();
        for (int i = 0; i < n; i++) listeners.add(events.listener(i));
        Generation jobs = generation.submit(api, clients.of(http.request()), prepared, arrival, listeners);
        cancelOnClose(http, jobs);
        return jobs;
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
            if (m.role() == null) throw ApiException.invalid(at + ".role", at + ".role is required: system, developer, user, assistant or tool");
            String role = m.role().equals("developer") ? ChatMessage.SYSTEM : m.role();
            if (!role.equals(ChatMessage.SYSTEM) && !role.equals(ChatMessage.USER) && !role.equals(ChatMessage.ASSISTANT) && !role.equals(ChatMessage.TOOL)) {
                throw ApiException.invalid(at + ".role", at + ".role '" + m.role() + "' is not supported; accepted: system, developer, user, assistant, tool");
            }
            out.add(ChatTools.message(role, content(m.content(), at + ".content"), m.toolCalls(), m.toolCallId(), at));
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

    /** The chunks of one streamed response, built as the choices' events arrive. */
    private interface Chunks {
        /** Sent at once, before the first token. */
        List<Object> first();

        List<Object> token(int choice, dev.rill.generate.GeneratedToken token);

        /** The last chunks of a choice; {@code timings} go on its finish chunk. */
        List<Object> done(int choice, GenerationResult result, Timings timings);

        /** The final chunk with no choices and the usage ({@code stream_options.include_usage}), or {@code null}. */
        Object usage(Usage usage);
    }

    private record Outcome(Usage usage, Timings timings) {
    }

    /** Usage of a request's choices: the prompt once (it ran once), the tokens of every choice. */
    private static Usage usage(List<GenerationResult> results) {
        int prompt = results.stream().mapToInt(GenerationResult::promptTokens).max().orElse(0);
        return Usage.of(prompt, results.stream().mapToInt(GenerationResult::completionTokens).sum());
    }

    /**
     * Cancels the generations the moment their connection closes before the response is complete: the
     * end handler runs on the event loop, not at the next token. (Routing-context end handlers are a
     * list, so Quarkus REST's own close handler stays; the loops below also check on every token.)
     */
    private static void cancelOnClose(RoutingContext http, Generation jobs) {
        http.addEndHandler(end -> {
            if (end.failed()) jobs.cancel();
        });
    }

    /** Waits for the end of every choice of a non-streamed request, cancelling them if the client goes away. */
    private Outcome await(RoutingContext http, Generation jobs, int n, EventQueue events, long arrival, List<ChoiceOutput> outputs) {
        long firstToken = 0;
        int left = n;
        List<GenerationResult> results = new ArrayList<>();
        GenerationResult first = null;
        try {
            while (left > 0) {
                EventQueue.Event e = events.poll(POLL_MS);
                // Checked on every token, not only when none comes: a client that left mid-stream must not cost the rest of its tokens.
                if (http.response().closed()) {
                    jobs.cancel();
                    throw new ApiException(499, "client_closed", null, "the client went away");
                }
                if (e == null) continue;
                switch (e) {
                    case EventQueue.Token t -> {
                        if (firstToken == 0) firstToken = t.nanos();
                        outputs.get(t.choice()).token(t.token());
                    }
                    case EventQueue.Done d -> {
                        outputs.get(d.choice()).done(d.result());
                        results.add(d.result());
                        if (d.choice() == 0) first = d.result();
                        left--;
                    }
                    case EventQueue.Failed f -> {
                        jobs.cancel();
                        throw failure(f.error());
                    }
                    case EventQueue.Started s -> {
                    }
                }
            }
            return new Outcome(usage(results), timings(first, firstToken, arrival));
        } catch (InterruptedException ie) {
            jobs.cancel();
            Thread.currentThread().interrupt();
            throw new ApiException(503, "shutting_down", null, "the server is shutting down");
        }
    }

    private static ApiException failure(RuntimeException e) {
        if (e instanceof OverloadedException) return new ApiException(429, "overloaded", null, e.getMessage());   // held for its client's turn, then refused
        return e instanceof IllegalArgumentException
                ? ApiException.invalid(null, e.getMessage())
                : new ApiException(500, "generation_failed", null, "the generation failed: " + e.getMessage());
    }

    private static Timings timings(GenerationResult r, long firstToken, long arrival) {
        double ttft = firstToken == 0 ? 0 : (firstToken - arrival) / 1e6;
        return new Timings(Math.round(ttft * 100) / 100.0, Math.round(r.tokensPerSecond() * 100) / 100.0);
    }

    /** Streams a request's choices as Server-Sent Events; a client that goes away cancels them. */
    private Response sse(RoutingContext http, Generation jobs, int n, EventQueue events, long arrival, Chunks chunks) {
        StreamingOutput out = os -> {
            long firstToken = 0, lastWrite = System.nanoTime();
            int left = n;
            List<GenerationResult> results = new ArrayList<>();
            try {
                List<Object> first = chunks.first();
                if (first.isEmpty()) comment(os);
                for (Object c : first) event(os, c);
                while (left > 0) {
                    EventQueue.Event e = events.poll(POLL_MS);
                    if (http.response().closed()) {   // on every token: writes to a closed connection do not fail at once
                        jobs.cancel();
                        return;
                    }
                    if (e == null) {
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
                            for (Object c : chunks.token(t.choice(), t.token())) {
                                event(os, c);
                                lastWrite = System.nanoTime();
                            }
                        }
                        case EventQueue.Done d -> {
                            for (Object c : chunks.done(d.choice(), d.result(), timings(d.result(), firstToken, arrival))) event(os, c);
                            results.add(d.result());
                            left--;
                        }
                        case EventQueue.Failed f -> {
                            jobs.cancel();
                            event(os, ErrorBody.of(failure(f.error())));
                            done(os);
                            return;
                        }
                        case EventQueue.Started s -> {
                        }
                    }
                }
                Object usage = chunks.usage(usage(results));
                if (usage != null) event(os, usage);
                done(os);
            } catch (IOException | RuntimeException ex) {
                jobs.cancel();   // the client went away mid-stream
            } catch (InterruptedException ie) {
                jobs.cancel();
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
