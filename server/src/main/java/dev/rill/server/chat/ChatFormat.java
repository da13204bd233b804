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

    /** Strings that end the assistant's turn (never sent to the client). */
    List<String> stopStrings();
}
