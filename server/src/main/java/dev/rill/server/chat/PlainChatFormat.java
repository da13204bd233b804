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
 * ({@code "\n\n"} is the stop string). With tools, a {@code TOOLS:} turn after the system turns lists
 * them and says how to call them ({@link ToolSyntax#PLAIN}: one line {@code CALL {"name": ..., "arguments": {...}}}
 * per call); a tool's result is spoken by {@code TOOL:}.
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
    public String render(List<ChatMessage> messages, List<Tool> tools) {
        StringBuilder sb = new StringBuilder();
        boolean toolsTold = tools.isEmpty();
        for (ChatMessage m : messages) {
            if (!toolsTold && !m.isSystem()) {
                turn(sb, "TOOLS", ToolSyntax.PLAIN.instruction(tools));
                toolsTold = true;
            }
            String text = m.content().strip();
            if (!m.toolCalls().isEmpty()) text = (text.isEmpty() ? "" : text + "\n") + ToolSyntax.PLAIN.write(m.toolCalls());
            turn(sb, speaker(m.role()), text);
        }
        if (!toolsTold) turn(sb, "TOOLS", ToolSyntax.PLAIN.instruction(tools));
        return sb.append(speaker(ChatMessage.ASSISTANT)).append(":\n").toString();
    }

    private static void turn(StringBuilder sb, String speaker, String text) {
        sb.append(speaker).append(":\n").append(text).append(END_OF_TURN);
    }

    private static String speaker(String role) {
        return role.toUpperCase(Locale.ROOT);
    }

    @Override
    public ToolSyntax toolSyntax() {
        return ToolSyntax.PLAIN;
    }

    @Override
    public List<String> stopStrings() {
        return List.of(END_OF_TURN);
    }
}
