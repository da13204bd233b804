package dev.rill.server.chat;

import java.util.List;

/**
 * Turns a conversation into the prompt text a model continues with the assistant's reply. Rill's own
 * models use {@link PlainChatFormat}; a model that brings a (Jinja) chat template gets a format that
 * renders it (see {@link ChatFormats#forModel}).
 */
public interface ChatFormat {

    /** A short name for listings ({@code /api/models}). */
    String name();

    /** The prompt: every message, then whatever opens the assistant's turn. */
    String render(List<ChatMessage> messages);

    /** Strings that end the assistant's turn (never sent to the client). */
    List<String> stopStrings();

    /** Whether special-token text in the rendered prompt (e.g. {@code <|im_start|>}) is encoded as those tokens. */
    default boolean allowSpecialTokens() {
        return false;
    }
}
