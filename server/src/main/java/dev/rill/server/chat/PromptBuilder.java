package dev.rill.server.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Builds the prompt tokens of a conversation within a token budget: while the rendered prompt is
 * longer than the budget, the oldest turn that is not a system message is dropped (the last message
 * always stays). If the system messages and the last message alone are still too long, the tokens
 * are returned as they are and the generation keeps the last {@code T} of them, as the seed says.
 */
public final class PromptBuilder {

    /**
     * @param tokens  the prompt's token indices
     * @param dropped how many of the oldest turns were left out to fit
     */
    public record Prompt(int[] tokens, int dropped) {
    }

    private PromptBuilder() {
    }

    /**
     * @param encoder turns the rendered prompt into token ids (the model's {@code encodePrompt})
     * @throws IllegalArgumentException for an empty conversation or one the chat template rejects
     */
    public static Prompt build(ChatFormat format, Function<String, int[]> encoder, List<ChatMessage> messages, int budget) {
        return build(format, encoder, messages, List.of(), budget, false);
    }

    /** As {@link #build(ChatFormat, Function, List, int)}, with tools the model may call. */
    public static Prompt build(ChatFormat format, Function<String, int[]> encoder, List<ChatMessage> messages, List<Tool> tools, int budget) {
        return build(format, encoder, messages, tools, budget, false);
    }

    /**
     * @param continueLast continue the last message (an assistant reply) instead of opening a new
     *                     reply ({@link ChatFormat#renderContinuation})
     * @throws IllegalArgumentException for an empty conversation, one the chat template rejects, or
     *                                  (continuing) one whose last message is not the assistant's
     */
    public static Prompt build(ChatFormat format, Function<String, int[]> encoder, List<ChatMessage> messages, int budget,
                               boolean continueLast) {
        return build(format, encoder, messages, List.of(), budget, continueLast);
    }

    /** The general form: tools the model may call (not with {@code continueLast}, which continues a reply as it is). */
    public static Prompt build(ChatFormat format, Function<String, int[]> encoder, List<ChatMessage> messages, List<Tool> tools, int budget,
                               boolean continueLast) {
        if (messages.isEmpty()) throw new IllegalArgumentException("the conversation has no messages");
        List<ChatMessage> kept = new ArrayList<>(messages);
        int dropped = 0;
        while (true) {
            int[] tokens = encoder.apply(continueLast ? format.renderContinuation(kept) : format.render(kept, tools));
            if (tokens.length <= budget) return new Prompt(tokens, dropped);
            int oldest = -1;
            for (int i = 0; i < kept.size() - 1; i++) {
                if (!kept.get(i).isSystem()) {
                    oldest = i;
                    break;
                }
            }
            if (oldest < 0) return new Prompt(tokens, dropped);
            kept.remove(oldest);
            dropped++;
        }
    }
}
