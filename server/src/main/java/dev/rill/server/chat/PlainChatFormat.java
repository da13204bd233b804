package dev.rill.server.chat;

import dev.rill.chat.PlainChat;
import dev.rill.chat.Turn;

import java.util.List;

/**
 * Rill's chat format for its own models: the engine's {@link PlainChat} (the format the trainer
 * fine-tunes on), so a fine-tuned model is prompted with exactly the text it learned.
 */
public final class PlainChatFormat implements ChatFormat {

    public static final PlainChatFormat INSTANCE = new PlainChatFormat();
    static final String END_OF_TURN = PlainChat.END_OF_TURN;

    private PlainChatFormat() {
    }

    @Override
    public String name() {
        return PlainChat.NAME;
    }

    @Override
    public String render(List<ChatMessage> messages) {
        return PlainChat.render(messages.stream().map(m -> new Turn(m.role(), m.content())).toList());
    }

    @Override
    public List<String> stopStrings() {
        return List.of(END_OF_TURN);
    }
}
