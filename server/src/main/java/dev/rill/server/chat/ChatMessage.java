package dev.rill.server.chat;

import dev.rill.chat.Turn;

import java.util.List;
import java.util.Locale;

/**
 * One turn of a conversation, as the APIs receive it; checked as the engine's {@link Turn} is
 * (the role lower-cased and one of system, user, assistant; a content).
 *
 * @param role       {@code system}, {@code user}, {@code assistant}, or {@code tool} (a tool's result,
 *                   which must name the call it answers)
 * @param content    its text (may be empty for an assistant turn that only calls tools)
 * @param toolCalls  the tools an assistant turn called (empty otherwise)
 * @param toolCallId for a {@code tool} turn: the id of the call it answers
 */
public record ChatMessage(String role, String content, List<ToolCall> toolCalls, String toolCallId) {

    public static final String SYSTEM = Turn.SYSTEM, USER = Turn.USER, ASSISTANT = Turn.ASSISTANT, TOOL = "tool";

    public ChatMessage(String role, String content) {
        this(role, content, List.of(), null);
    }

    public ChatMessage {
        if (role == null) throw new IllegalArgumentException("a message has no role");
        role = role.toLowerCase(Locale.ROOT);
        // A tool's result is a turn of its own (it must name its call); every other role is the engine's.
        if (!(role.equals(TOOL) && toolCallId != null)) role = new Turn(role, content).role();
        if (content == null) throw new IllegalArgumentException("a " + role + " message has no content");
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        if (!toolCalls.isEmpty() && !role.equals(ASSISTANT)) throw new IllegalArgumentException("only assistant messages call tools");
    }

    public boolean isSystem() {
        return role.equals(SYSTEM);
    }
}
