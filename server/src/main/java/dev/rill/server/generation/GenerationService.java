package dev.rill.server.generation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.generate.BatchScheduler;
import dev.rill.generate.GenerationRequest;
import dev.rill.generate.OverloadedException;
import dev.rill.plugin.PluginException;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.ParamException;
import dev.rill.server.api.ApiException;
import dev.rill.server.chat.ChatMessage;
import dev.rill.sampler.grammar.Constraint;
import dev.rill.server.chat.PromptBuilder;
import dev.rill.server.chat.Tool;
import dev.rill.server.config.RillConfig;
import dev.rill.server.metrics.ServerMetrics;
import dev.rill.server.model.ModelService;
import dev.rill.server.model.ServedModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * What the WebSocket and the HTTP API share: checks a request, builds its prompt and sampler chain,
 * and submits it to its model's scheduler with metrics attached.
 */
@ApplicationScoped
public class GenerationService {

    @Inject
    ModelService models;
    @Inject
    RillConfig config;
    @Inject
    ServerMetrics metrics;
    @Inject
    ClientLimits limits;

    /**
     * A generation request as the APIs receive it.
     *
     * @param model          model name, or {@code null} for the default
     * @param messages       a conversation (chat), or {@code null}
     * @param prompt         raw text to continue (completion), or {@code null}
     * @param chain          sampler names, or {@code null} for the configured chain
     * @param samplingParams sampler parameters by name
     * @param maxTokens      most tokens to generate, or {@code null} for the default
     * @param stop           stop strings, or {@code null}
     * @param seed           seed of the sampler's random source, or {@code null}
     * @param logprobs       -1, or how many alternatives each token's log-probabilities list (0..20; checked by the API)
     * @param tools          tools the model may call (rendered into the chat prompt), empty for none
     * @param continueFinal  continue the last message of {@code messages}, an assistant reply, instead
     *                       of starting a new reply (the WebSocket's {@code continue_final_message})
     */
    public record Input(String model, List<ChatMessage> messages, String prompt, List<String> chain,
                        Map<String, Object> samplingParams, Integer maxTokens, List<String> stop, Long seed, int logprobs,
                        List<Tool> tools, boolean continueFinal) {

        /** A request that starts a new reply, without log-probabilities or tools. */
        public Input(String model, List<ChatMessage> messages, String prompt, List<String> chain,
                     Map<String, Object> samplingParams, Integer maxTokens, List<String> stop, Long seed) {
            this(model, messages, prompt, chain, samplingParams, maxTokens, stop, seed, -1, List.of(), false);
        }

        public Input {
            tools = tools == null ? List.of() : List.copyOf(tools);
        }
    }

    /** The request field that asks to continue the last message. */
    public static final String CONTINUE_FINAL = "continue_final_message";

    /**
     * How an API names request fields in errors.
     *
     * @param samplingParam the field of a sampling parameter (e.g. {@code sampling.top_k}, or OpenAI's
     *                      {@code repetition_penalty} for {@code repeat_penalty})
     * @param chain         the field holding the sampler chain
     */
    public record Fields(String model, String messages, String prompt, String maxTokens, String stop,
                         UnaryOperator<String> samplingParam, String chain) {
    }

    /**
     * A request's stop strings: a string, an array of strings, or absent.
     *
     * @throws ApiException naming {@code field}
     */
    public static List<String> stopStrings(JsonNode stop, String field) {
        if (stop == null || stop.isNull()) return null;
        if (stop.isTextual()) return List.of(stop.asText());
        if (stop.isArray()) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < stop.size(); i++) {
                if (!stop.get(i).isTextual()) throw ApiException.invalid(field, field + "[" + i + "] must be a string");
                out.add(stop.get(i).asText());
            }
            return out;
        }
        throw ApiException.invalid(field, "field '" + field + "' must be a string or an array of strings");
    }

    /** A {@code sampling} object split into its chain ({@code null} when absent) and its parameters. */
    public record Sampling(List<String> chain, Map<String, Object> params) {

        /** @throws ApiException naming {@code field}.chain when the chain is neither names nor a comma-separated string */
        public static Sampling of(Map<String, Object> sampling, String field) {
            List<String> chain = null;
            Map<String, Object> params = new LinkedHashMap<>();
            if (sampling != null) {
                for (Map.Entry<String, Object> e : sampling.entrySet()) {
                    if (!e.getKey().equals("chain")) {
                        params.put(e.getKey(), e.getValue());
                    } else if (e.getValue() instanceof String s) {
                        chain = List.of(s.split(","));
                    } else if (e.getValue() instanceof List<?> l && l.stream().allMatch(x -> x instanceof String)) {
                        chain = l.stream().map(String.class::cast).toList();
                    } else {
                        throw ApiException.invalid(field + ".chain", "field '" + field + ".chain' must be an array of sampler names (or one comma-separated string)");
                    }
                }
            }
            return new Sampling(chain, params);
        }
    }

    /** A checked request, ready to submit. */
    public record Prepared(ServedModel model, GenerationRequest request, int droppedMessages) {
    }

    /** @throws ApiException naming the field at fault */
    public Prepared prepare(Input in, Fields f) {
        ServedModel served = models.get(in.model(), f.model());
        var g = config.generation();
        int maxTokens = in.maxTokens() == null ? g.defaultMaxTokens() : in.maxTokens();
        if (maxTokens < 1 || maxTokens > g.maxTokens()) {
            throw ApiException.invalid(f.maxTokens(), f.maxTokens() + " must be between 1 and " + g.maxTokens() + " (got " + maxTokens + ")");
        }
        List<String> stop = new ArrayList<>();
        if (in.stop() != null) {
            if (in.stop().size() > config.limits().maxStop()) {
                throw ApiException.invalid(f.stop(), f.stop() + " has " + in.stop().size() + " strings; at most " + config.limits().maxStop() + " are accepted");
            }
            for (int i = 0; i < in.stop().size(); i++) {
                String s = in.stop().get(i);
                if (s == null || s.isEmpty() || s.length() > config.limits().maxStopLength()) {
                    throw ApiException.invalid(f.stop(), f.stop() + "[" + i + "] must be a string of 1 to " + config.limits().maxStopLength() + " characters");
                }
                stop.add(s);
            }
        }
        if (in.continueFinal() && in.messages() == null) {
            throw ApiException.invalid(CONTINUE_FINAL, CONTINUE_FINAL + " continues the last of 'messages'; a 'prompt' is always continued as it is");
        }
        SamplerChain chain = chain(in, f);
        if (chain.parameters().get("grammar") instanceof String gbnf && !gbnf.isEmpty()) {
            try {
                Constraint.compile(gbnf);   // now, so that a bad grammar is the request's error, naming the field
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(f.samplingParam().apply("grammar"), e.getMessage());
            }
        }
        int[] tokens;
        int dropped = 0;
        if (in.messages() != null) {
            if (in.messages().isEmpty()) throw ApiException.invalid(f.messages(), f.messages() + " must hold at least one message");
            if (in.messages().size() > config.limits().maxMessages()) {
                throw ApiException.invalid(f.messages(), f.messages() + " has " + in.messages().size() + " messages; at most "
                        + config.limits().maxMessages() + " are accepted (rill.limits.max-messages)");
            }
            if (in.continueFinal() && !in.messages().getLast().role().equals(ChatMessage.ASSISTANT)) {
                throw ApiException.invalid(CONTINUE_FINAL, CONTINUE_FINAL + " needs the last message to be the assistant's reply to continue; it is the "
                        + in.messages().getLast().role() + "'s");
            }
            int window = served.model().maxContext();
            // Leave room for the reply, so that it need not slide the window at once.
            int budget = Math.max(1, window - Math.min(maxTokens, window / 2));
            PromptBuilder.Prompt prompt;
            try {
                prompt = PromptBuilder.build(served.chat(), served.model()::encodePrompt, in.messages(), in.tools(), budget, in.continueFinal());
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(f.messages(), e.getMessage());   // e.g. the model's template rejects the order of roles
            }
            tokens = prompt.tokens();
            dropped = prompt.dropped();
            stop.addAll(served.chat().stopStrings());
        } else {
            if (in.prompt() == null || in.prompt().isEmpty()) throw ApiException.invalid(f.prompt(), f.prompt() + " is empty; give text to continue");
            try {
                tokens = served.model().encodePrompt(in.prompt());
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(f.prompt(), e.getMessage());   // text the vocabulary cannot encode
            }
        }
        if (tokens.length == 0) throw ApiException.invalid(in.messages() != null ? f.messages() : f.prompt(), "the prompt encodes to no tokens");
        GenerationRequest request;
        try {
            request = new GenerationRequest(tokens, maxTokens, chain, in.seed(), stop, in.logprobs());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(null, e.getMessage());
        }
        return new Prepared(served, request, dropped);
    }

    private SamplerChain chain(Input in, Fields f) {
        Map<String, Object> params = in.samplingParams() == null ? Map.of() : in.samplingParams();
        try {
            return models.sampling().resolve(in.chain(), params);
        } catch (PluginException e) {
            throw ApiException.invalid(f.chain(), e.getMessage());
        } catch (ParamException e) {
            throw ApiException.invalid(f.samplingParam().apply(e.param()), e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(in.chain() != null ? f.chain() : null, e.getMessage());
        }
    }

    /**
     * Submits a prepared request of {@code client} (see {@code ClientIds}); the listener gets its tokens.
     *
     * @throws ApiException 429 {@code overloaded} when the queue is full or the client has all it may have
     */
    public Generation submit(String api, String client, Prepared p, long arrivalNanos, BatchScheduler.Listener listener) {
        return submit(api, client, p, arrivalNanos, List.of(listener));
    }

    /**
     * Submits {@code n} choices of a prepared request of {@code client}, which share its prompt (run
     * once, see {@link BatchScheduler#submitAll}); choice {@code i} samples with seed {@code seed + i}
     * when the request has a seed. Listener {@code i} gets choice {@code i}'s tokens. The choices count
     * as {@code n} generations of the client's (see {@link ClientLimits}); cancelling cancels them all.
     *
     * @throws ApiException 429 {@code overloaded} when they do not all fit or the client has all it may have
     */
    public Generation submit(String api, String client, Prepared p, long arrivalNanos, List<BatchScheduler.Listener> listeners) {
        GenerationRequest r = p.request();
        List<GenerationRequest> requests = new ArrayList<>();
        List<BatchScheduler.Listener> measured = new ArrayList<>();
        for (int i = 0; i < listeners.size(); i++) {
            requests.add(i == 0 ? r : new GenerationRequest(r.prompt(), r.maxTokens(), r.chain(), r.seed() == null ? null : r.seed() + i, r.stop(), r.logprobs()));
            measured.add(metrics.measure(api, p.model().name(), arrivalNanos, listeners.get(i)));
        }
        try {
            return limits.submit(client, ls -> requests.size() == 1 ? List.of(p.model().scheduler().submit(r, ls.getFirst()))
                    : p.model().scheduler().submitAll(requests, ls), measured);
        } catch (OverloadedException e) {
            metrics.request(api, "overloaded");
            throw new ApiException(429, "overloaded", null, e.getMessage());
        } catch (ApiException e) {
            refused(api, e);
            throw e;
        }
    }

    /** Counts a request refused before it reached a scheduler. */
    public void refused(String api, ApiException e) {
        metrics.request(api, e.status() == 429 ? "overloaded" : e.status() >= 500 ? "error" : "invalid");
    }
}
