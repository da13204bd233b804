package dev.rill.server.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rill.generate.BatchScheduler;
import dev.rill.generate.GenerationRequest;
import dev.rill.generate.GenerationResult;
import dev.rill.generate.GeneratedToken;
import dev.rill.generate.OverloadedException;
import dev.rill.sampling.SamplingTrace;
import dev.rill.server.api.ApiException;
import dev.rill.server.api.JsonInput;
import dev.rill.server.chat.ChatMessage;
import dev.rill.server.generation.GenerationService;
import dev.rill.spi.Vocabulary;
import jakarta.inject.Inject;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /api/pipeline}: one step of generation laid open. The prompt is built and checked as
 * a chat request's, runs through the model on its scheduler like any request (one token), and the
 * sampler chain reports to a {@link SamplingTrace}: the prompt's tokens, the best logits before the
 * chain and after each sampler, and the seeded draw.
 */
@Path("/api/pipeline")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Rill API")
public class PipelineResource {

    static final int DEFAULT_TOP = 10, MAX_TOP = 50;
    private static final GenerationService.Fields FIELDS = new GenerationService.Fields("model", "messages", "prompt",
            "max_tokens", "stop", name -> "sampling." + name, "sampling.chain");

    @Inject
    GenerationService generation;

    @Schema(name = "PipelineRequest")
    public record Request(String model, List<ChatMessage> messages, String prompt, int[] continuation,
                          Map<String, Object> sampling, Long seed, Integer top) {
    }

    public record Token(@JsonProperty("token_id") int tokenId, String text) {
    }

    public record Prompt(List<Token> tokens, int count, int cropped, @JsonProperty("dropped_messages") int droppedMessages) {
    }

    /** @param logit null for {@code -inf} (a banned token) */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Candidate(@JsonProperty("token_id") int tokenId, String text, Double logit, double probability) {
    }

    /** @param sampler the step, or {@code logits} for the model's output before the chain */
    public record Stage(String sampler, int candidates, List<Candidate> top) {
    }

    public record Response(String model, long seed, Prompt prompt, List<String> chain, Map<String, Object> parameters,
                           List<Stage> stages, Candidate draw) {
    }

    @POST
    @Operation(summary = "One generation step laid open: the prompt's tokens, the best logits before and after each sampler of the chain, and the seeded draw")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Request.class)))
    public CompletionStage<Response> pipeline(String body) {
        if (body == null || body.isBlank()) throw ApiException.invalid(null, "the request has no body; send a JSON object");
        Request req = JsonInput.bind(JsonInput.STRICT, JsonInput.parseObject(body), Request.class);
        int top = req.top() == null ? DEFAULT_TOP : req.top();
        if (top < 1 || top > MAX_TOP) throw ApiException.invalid("top", "top must be from 1 to " + MAX_TOP + " (got " + top + ")");
        if ((req.messages() == null) == (req.prompt() == null)) {
            throw ApiException.invalid("messages", "give either 'messages' (a conversation) or 'prompt' (text to continue), not "
                    + (req.messages() == null ? "neither" : "both"));
        }
        long seed = req.seed() != null ? req.seed() : ThreadLocalRandom.current().nextLong(1L << 53);   // a seed JavaScript holds exactly
        GenerationService.Sampling sampling = GenerationService.Sampling.of(req.sampling(), "sampling");
        GenerationService.Prepared prepared = generation.prepare(new GenerationService.Input(req.model(), req.messages(), req.prompt(),
                sampling.chain(), sampling.params(), 1, null, seed), FIELDS);
        Vocabulary vocabulary = prepared.model().model().vocabulary();
        int[] tokens = withContinuation(prepared.request().prompt(), req.continuation(), vocabulary.size());
        int window = prepared.model().model().maxContext();
        int cropped = Math.max(0, tokens.length - window);
        SamplingTrace trace = new SamplingTrace(top);
        GenerationRequest request = new GenerationRequest(tokens, 1, prepared.request().chain().observed(trace), seed, List.of());

        CompletableFuture<Response> answer = new CompletableFuture<>();
        try {
            prepared.model().scheduler().submit(request, new BatchScheduler.Listener() {
                @Override
                public void onToken(GeneratedToken token) {
                }

                @Override
                public void onDone(GenerationResult result) {
                    if (trace.selected() < 0) {
                        answer.completeExceptionally(new ApiException(500, "generation_failed", null, "the step ended before a token was drawn"));
                        return;
                    }
                    List<String> chain = prepared.request().chain().names();
                    List<Stage> stages = new ArrayList<>();
                    for (SamplingTrace.Stage s : trace.stages()) {
                        stages.add(new Stage(s.step() < 0 ? "logits" : chain.get(s.step()), s.alive(),
                                s.top().stream().map(e -> candidate(vocabulary, e.tokenId(), e.logit(), e.probability())).toList()));
                    }
                    int[] seen = Arrays.copyOfRange(tokens, cropped, tokens.length);
                    List<Token> promptTokens = Arrays.stream(seen).mapToObj(t -> new Token(t, text(vocabulary, t))).toList();
                    answer.complete(new Response(prepared.model().name(), seed,
                            new Prompt(promptTokens, seen.length, cropped, prepared.droppedMessages()), chain,
                            prepared.request().chain().parameters(), stages,
                            candidate(vocabulary, trace.selected(), trace.selectedLogit(), trace.selectedProbability())));
                }

                @Override
                public void onError(RuntimeException e) {
                    answer.completeExceptionally(e instanceof IllegalArgumentException
                            ? ApiException.invalid(null, e.getMessage())
                            : new ApiException(500, "generation_failed", null, e.getMessage()));
                }
            });
        } catch (OverloadedException e) {
            throw new ApiException(429, "overloaded", null, e.getMessage());
        }
        return answer;
    }

    /** The prompt's tokens followed by {@code continuation} (e.g. the reply so far), each checked against the vocabulary. */
    private static int[] withContinuation(int[] prompt, int[] continuation, int nVocab) {
        if (continuation == null || continuation.length == 0) return prompt;
        for (int i = 0; i < continuation.length; i++) {
            if (continuation[i] < 0 || continuation[i] >= nVocab) {
                throw ApiException.invalid("continuation[" + i + "]", "continuation[" + i + "] = " + continuation[i]
                        + " is outside the vocabulary (ids 0.." + (nVocab - 1) + ")");
            }
        }
        int[] all = Arrays.copyOf(prompt, prompt.length + continuation.length);
        System.arraycopy(continuation, 0, all, prompt.length, continuation.length);
        return all;
    }

    private static Candidate candidate(Vocabulary v, int id, float logit, double probability) {
        return new Candidate(id, text(v, id), Float.isFinite(logit) ? (double) logit : null, Double.isNaN(probability) ? 0 : probability);
    }

    private static String text(Vocabulary v, int id) {
        return v.decode(new int[]{id});
    }
}
