package dev.rill.server.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

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

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ChatCompletion(String id, String object, long created, String model, List<ChatChoice> choices, Usage usage, Timings timings) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChatChoice(int index, AssistantMessage message, ChatLogprobs logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    /** {@code content} is {@code null} when the reply is only tool calls, as OpenAI sends it. */
    record AssistantMessage(String role, @JsonInclude(JsonInclude.Include.ALWAYS) String content,
                            @JsonProperty("tool_calls") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ToolCallOut> toolCalls) {
    }

    record ToolCallOut(String id, String type, FunctionCall function) {
    }

    record FunctionCall(String name, String arguments) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ChatChunk(String id, String object, long created, String model, List<ChunkChoice> choices, Usage usage, Timings timings) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChunkChoice(int index, Delta delta, ChatLogprobs logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content, @JsonProperty("tool_calls") List<DeltaToolCall> toolCalls) {
        Delta(String role, String content) {
            this(role, content, null);
        }
    }

    /** A streamed piece of a tool call: the first carries id, type and name; later ones add to the arguments. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeltaToolCall(int index, String id, String type, FunctionCall function) {
    }

    /** Chat logprobs: one entry per sampled token. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ChatLogprobs(List<LogprobEntry> content, List<LogprobEntry> refusal) {
    }

    record LogprobEntry(String token, float logprob, int[] bytes, @JsonProperty("top_logprobs") List<TopLogprob> topLogprobs) {
    }

    record TopLogprob(String token, float logprob, int[] bytes) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record TextCompletion(String id, String object, long created, String model, List<TextChoice> choices, Usage usage, Timings timings) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record TextChoice(int index, String text, CompletionLogprobs logprobs, @JsonProperty("finish_reason") String finishReason) {
    }

    /** The completions API's (legacy) logprobs: parallel lists per token. */
    record CompletionLogprobs(List<String> tokens, @JsonProperty("token_logprobs") List<Float> tokenLogprobs,
                              @JsonProperty("top_logprobs") List<Map<String, Float>> topLogprobs,
                              @JsonProperty("text_offset") List<Integer> textOffset) {
    }

    record ModelList(String object, List<Model> data) {
    }

    record Model(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {
    }
}
