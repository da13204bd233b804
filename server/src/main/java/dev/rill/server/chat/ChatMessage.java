package dev.rill.server.chat;

import dev.rill.chat.Turn;

/**
 * One turn of a conversation, as the APIs receive it; checked as the engine's {@link Turn} is
 * (the role lower-cased and one of system, user, assistant; a content).
 *
 * @param role    {@code system}, {@code user} or {@code assistant}
 * @param content its text
 */
public record ChatMessage(String role, String content) {

    public static final String SYSTEM = Turn.SYSTEM, USER = Turn.USER, ASSISTANT = Turn.ASSISTANT;

    public ChatMessage {
        role = new Turn(role, content).role();
    }

    public boolean isSystem() {
        return role.equals(SYSTEM);
    }
}
