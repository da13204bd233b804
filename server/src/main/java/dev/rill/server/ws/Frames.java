package dev.rill.server.ws;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/** The JSON messages of the {@code /ws/chat} protocol (see the README, "The WebSocket protocol"). */
final class Frames {

    private Frames() {
    }

    // ---- client → server ----

    /** {@code {"type":"chat", ...}}: start a generation. */
    record Chat(String type, String id, List<Message> messages, String prompt, String model,
                Map<String, Object> sampling, @JsonProperty("max_tokens") Integer maxTokens, JsonNode stop, Long seed,
                Integer logprobs, @JsonProperty("continue_final_message") Boolean continueFinalMessage) {
    }

    record Message(String role, String content) {
    }

    /** {@code {"type":"cancel","id":...}}: stop a running generation. */
    record Cancel(String type, String id) {
    }

    // ---- server → client ----

    record Start(String type, String id, String model, @JsonProperty("prompt_tokens") int promptTokens,
                 @JsonProperty("dropped_messages") int droppedMessages) {
        Start(String id, String model, int promptTokens, int droppedMessages) {
            this("start", id, model, promptTokens, droppedMessages);
        }
    }

    /** {@code logprob} and {@code top_logprobs} only when the chat asked for {@code logprobs}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Token(String type, String id, int index, @JsonProperty("token_id") int tokenId, String text, Float logprob,
                 @JsonProperty("top_logprobs") List<TopLogprob> topLogprobs) {
        Token(String id, int index, int tokenId, String text) {
            this("token", id, index, tokenId, text, null, null);
        }
    }

    /** One of the most likely tokens at a step: its id, its text (bytes of a partial character escaped), its log-probability. */
    record TopLogprob(@JsonProperty("token_id") int tokenId, String text, float logprob) {
    }

    record Done(String type, String id, @JsonProperty("finish_reason") String finishReason, Usage usage, Timings timings) {
        Done(String id, String finishReason, Usage usage, Timings timings) {
            this("done", id, finishReason, usage, timings);
        }
    }

    record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("completion_tokens") int completionTokens) {
    }

    record Timings(@JsonProperty("ttft_ms") double ttftMs, @JsonProperty("tokens_per_s") double tokensPerSecond) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Error(String type, String id, String code, String param, String message) {
        Error(String id, String code, String param, String message) {
            this("error", id, code, param, message);
        }
    }
}
