package dev.rill.server.chat;

import java.util.List;

/**
 * Turns a conversation into the prompt text a model continues with the assistant's reply. Rill's own
 * models use {@link PlainChatFormat}; a model that brings a Jinja chat template (GGUF) uses
 * {@link TemplateChatFormat} (see {@link ChatFormats#forModel}). The model encodes the text
 * ({@code LoadedModel.encodePrompt}: special tokens and BOS as the model wants).
 */
public interface ChatFormat {

    /** A short name for listings ({@code /api/models}). */
    String name();

    /** The prompt: every message, then whatever opens the assistant's turn. */
    default String render(List<ChatMessage> messages) {
        return render(messages, List.of());
    }

    /** The prompt of a conversation in which the model may call {@code tools} (empty: none). */
    String render(List<ChatMessage> messages, List<Tool> tools);

    /** How this format's model writes tool calls. */
    ToolSyntax toolSyntax();

    /**
     * The prompt that continues the conversation's last message, an assistant reply cut short: the
     * messages before it rendered as for a new reply (which opens the assistant's turn), then that
     * reply's text as it is, with no end of turn, so the model goes on where the reply stopped.
     *
     * @throws IllegalArgumentException when the last message is not the assistant's
     */
    default String renderContinuation(List<ChatMessage> messages) {
        ChatMessage last = messages.getLast();
        if (!last.role().equals(ChatMessage.ASSISTANT)) {
            throw new IllegalArgumentException("only an assistant message can be continued; the last message is the " + last.role() + "'s");
        }
        return render(messages.subList(0, messages.size() - 1)) + last.content();
    }

    /** Strings that end the assistant's turn (never sent to the client). */
    List<String> stopStrings();
}
