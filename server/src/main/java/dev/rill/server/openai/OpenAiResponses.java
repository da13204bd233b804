package dev.rill.server.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/** Response bodies and stream chunks of the OpenAI-style API. */
final class OpenAiResponses {

    private OpenAiResponses() {
    }

    record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("completion_tokens") int completionTokens,
                 @JsonProperty("total_tokens") int totalTokens) {
        static Usage of(int prompt, int completion) {
            return new Usage(prompt, completion, prompt + completion);
        }
    }

    /** Rill's timings (llama.cpp's servers add a similar object). */
    record Timings(@JsonProperty("ttft_ms") double ttftMs, @JsonProperty("tokens_per_s") double tokensPerSecond) {
    }

    record ChatCompletion(String id, String object, long created, String model, List<ChatChoice> choices, Usage usage, Timings timings) {
    }

    record ChatChoice(int index, AssistantMessage message, @JsonProperty("finish_reason") String finishReason) {
    }

    record AssistantMessage(String role, String content) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ChatChunk(String id, String object, long created, String model, List<ChunkChoice> choices, Usage usage, Timings timings) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChunkChoice(int index, Delta delta, @JsonProperty("finish_reason") String finishReason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record TextCompletion(String id, String object, long created, String model, List<TextChoice> choices, Usage usage, Timings timings) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record TextChoice(int index, String text, Object logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    record ModelList(String object, List<Model> data) {
    }

    record Model(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {
    }
}
