package dev.rill.server.chat;

import java.util.List;
import java.util.Locale;

/**
 * One turn of a conversation.
 *
 * @param role       {@code system}, {@code user}, {@code assistant}, or {@code tool} (a tool's result,
 *                   which must name the call it answers)
 * @param content    its text (may be empty for an assistant turn that only calls tools)
 * @param toolCalls  the tools an assistant turn called (empty otherwise)
 * @param toolCallId for a {@code tool} turn: the id of the call it answers
 */
public record ChatMessage(String role, String content, List<ToolCall> toolCalls, String toolCallId) {

    public static final String SYSTEM = "system", USER = "user", ASSISTANT = "assistant", TOOL = "tool";

    public ChatMessage(String role, String content) {
        this(role, content, List.of(), null);
    }

    public ChatMessage {
        if (role == null) throw new IllegalArgumentException("a message has no role");
        role = role.toLowerCase(Locale.ROOT);
        boolean tool = role.equals(TOOL) && toolCallId != null;
        if (!role.equals(SYSTEM) && !role.equals(USER) && !role.equals(ASSISTANT) && !tool) {
            throw new IllegalArgumentException("unknown role '" + role + "'; accepted: system, user, assistant");
        }
        if (content == null) throw new IllegalArgumentException("a " + role + " message has no content");
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        if (!toolCalls.isEmpty() && !role.equals(ASSISTANT)) throw new IllegalArgumentException("only assistant messages call tools");
    }

    public boolean isSystem() {
        return role.equals(SYSTEM);
    }
}
