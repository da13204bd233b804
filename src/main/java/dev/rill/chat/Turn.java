package dev.rill.chat;

import java.util.Locale;

/**
 * One turn of a conversation as the engine renders and trains on it.
 *
 * @param role    {@code system}, {@code user} or {@code assistant}
 * @param content its text
 */
public record Turn(String role, String content) {

    public static final String SYSTEM = "system", USER = "user", ASSISTANT = "assistant";

    public Turn {
        if (role == null) throw new IllegalArgumentException("a message has no role");
        role = role.toLowerCase(Locale.ROOT);
        if (!role.equals(SYSTEM) && !role.equals(USER) && !role.equals(ASSISTANT)) {
            throw new IllegalArgumentException("unknown role '" + role + "'; accepted: system, user, assistant");
        }
        if (content == null) throw new IllegalArgumentException("a " + role + " message has no content");
    }

    public boolean isAssistant() {
        return role.equals(ASSISTANT);
    }
}
