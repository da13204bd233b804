package dev.rill.server.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;
import java.util.Map;

/**
 * Request bodies of the OpenAI-style API. A field that is not here, not a sampling parameter and not
 * accepted by {@link OpenAiFields} is refused, naming it. The sampling fields
 * (temperature, top_p, ..., logit_bias) are here for the API's schema; the resource reads them, and
 * any other top-level field that names a sampling parameter, by what the samplers declare.
 */
final class OpenAiRequests {

    private OpenAiRequests() {
    }

    /** What both endpoints share besides the sampling parameters. */
    interface Sampling {
        String model();

        Boolean stream();

        Integer maxTokens();

        Long seed();

        JsonNode stop();

        Integer n();

        Map<String, Object> sampling();
    }

    @Schema(name = "ChatCompletionRequest")
    record Chat(String model, List<Message> messages, Boolean stream,
                @JsonProperty("max_tokens") Integer maxTokens,
                @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
                Double temperature, @JsonProperty("top_p") Double topP, @JsonProperty("top_k") Integer topK,
                @JsonProperty("min_p") Double minP, @JsonProperty("presence_penalty") Double presencePenalty,
                @JsonProperty("frequency_penalty") Double frequencyPenalty,
                @JsonProperty("repetition_penalty") Double repetitionPenalty,
                Long seed, @Schema(description = "a string or an array of strings") JsonNode stop,
                @JsonProperty("logit_bias") Map<String, JsonNode> logitBias, Integer n,
                @Schema(description = "Rill extension: {\"chain\": [sampler names], parameter: value, ...}") Map<String, Object> sampling,
                @Schema(description = "[{\"type\": \"function\", \"function\": {name, description, parameters, strict}}]") JsonNode tools,
                @JsonProperty("tool_choice") @Schema(description = "\"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}") JsonNode toolChoice,
                @JsonProperty("parallel_tool_calls") Boolean parallelToolCalls,
                @JsonProperty("response_format") @Schema(description = "{\"type\": \"text\" | \"json_object\" | \"json_schema\", \"json_schema\": {name, schema, strict}}") JsonNode responseFormat,
                @Schema(description = "llama.cpp extension: a GBNF grammar the reply must follow") String grammar,
                Boolean logprobs, @JsonProperty("top_logprobs") Integer topLogprobs,
                @JsonProperty("stream_options") StreamOptions streamOptions, String user,
                @JsonProperty("continue_final_message") @Schema(description = "vLLM/transformers extension: continue the last message, an assistant reply, instead of starting a new one") Boolean continueFinalMessage) implements Sampling {
        @Override
        public Integer maxTokens() {
            return maxTokens != null ? maxTokens : maxCompletionTokens;
        }
    }

    @Schema(name = "StreamOptions")
    record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {
    }

    @Schema(name = "ChatMessage")
    record Message(String role, @Schema(description = "a string or an array of {type: text, text} parts") JsonNode content, String name,
                   @JsonProperty("tool_calls") @Schema(description = "[{id, type: function, function: {name, arguments}}]") JsonNode toolCalls,
                   @JsonProperty("tool_call_id") String toolCallId) {
    }

    @Schema(name = "CompletionRequest")
    record Completion(String model, @Schema(description = "a string (or an array of one string)") JsonNode prompt, Boolean stream,
                      @JsonProperty("max_tokens") Integer maxTokens,
                      @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
                      Double temperature, @JsonProperty("top_p") Double topP, @JsonProperty("top_k") Integer topK,
                      @JsonProperty("min_p") Double minP, @JsonProperty("presence_penalty") Double presencePenalty,
                      @JsonProperty("frequency_penalty") Double frequencyPenalty,
                      @JsonProperty("repetition_penalty") Double repetitionPenalty,
                      Long seed, JsonNode stop, @JsonProperty("logit_bias") Map<String, JsonNode> logitBias, Integer n,
                      Map<String, Object> sampling, Boolean echo, String suffix, Integer logprobs, @JsonProperty("best_of") Integer bestOf,
                      String grammar, @JsonProperty("stream_options") StreamOptions streamOptions, String user) implements Sampling {
        @Override
        public Integer maxTokens() {
            return maxTokens != null ? maxTokens : maxCompletionTokens;
        }
    }
}
