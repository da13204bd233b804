package dev.rill.server.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;
import java.util.Map;

/**
 * Request bodies of the OpenAI-style API. Fields Rill does not use are ignored. The sampling fields
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
                JsonNode tools) implements Sampling {
        @Override
        public Integer maxTokens() {
            return maxTokens != null ? maxTokens : maxCompletionTokens;
        }
    }

    @Schema(name = "ChatMessage")
    record Message(String role, @Schema(description = "a string or an array of {type: text, text} parts") JsonNode content, String name) {
    }

    @Schema(name = "CompletionRequest")
    record Completion(String model, @Schema(description = "a string (or an array of one string)") JsonNode prompt, Boolean stream,
                      @JsonProperty("max_tokens") Integer maxTokens,
                      Double temperature, @JsonProperty("top_p") Double topP, @JsonProperty("top_k") Integer topK,
                      @JsonProperty("min_p") Double minP, @JsonProperty("presence_penalty") Double presencePenalty,
                      @JsonProperty("frequency_penalty") Double frequencyPenalty,
                      @JsonProperty("repetition_penalty") Double repetitionPenalty,
                      Long seed, JsonNode stop, @JsonProperty("logit_bias") Map<String, JsonNode> logitBias, Integer n,
                      Map<String, Object> sampling, Boolean echo, String suffix) implements Sampling {
    }
}
