package dev.rill.server.chat;

import java.util.List;
import java.util.Locale;

/**
 * Rill's chat format for its own models, written like the play text the default model learned:
 * each turn is a speaker name in capitals, a colon, a newline, the speech, and a blank line.
 * <pre>
 * SYSTEM:
 * You are a helpful assistant.
 *
 * USER:
 * Good morrow!
 *
 * ASSISTANT:
 * </pre>
 * The reply ends at the first blank line, where the play would give the next speaker the word
 * ({@code "\n\n"} is the stop string).
 */
public final class PlainChatFormat implements ChatFormat {

    public static final PlainChatFormat INSTANCE = new PlainChatFormat();
    static final String END_OF_TURN = "\n\n";

    private PlainChatFormat() {
    }

    @Override
    public String name() {
        return "rill-plain";
    }

    @Override
    public String render(List<ChatMessage> messages) {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) {
            sb.append(speaker(m.role())).append(":\n").append(m.content().strip()).append(END_OF_TURN);
        }
        return sb.append(speaker(ChatMessage.ASSISTANT)).append(":\n").toString();
    }

    private static String speaker(String role) {
        return role.toUpperCase(Locale.ROOT);
    }

    @Override
    public List<String> stopStrings() {
        return List.of(END_OF_TURN);
    }
}
