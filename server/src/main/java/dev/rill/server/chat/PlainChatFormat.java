package dev.rill.server.chat;

import dev.rill.chat.PlainChat;

import java.util.List;

/**
 * Rill's chat format for its own models: the engine's {@link PlainChat} (the format the trainer
 * fine-tunes on), so a fine-tuned model is prompted with exactly the text it learned.
 * With tools, a {@code TOOLS:} turn after the system turns lists them and says how to call them
 * ({@link ToolSyntax#PLAIN}: one line {@code CALL {"name": ..., "arguments": {...}}} per call); a
 * tool's result is spoken by {@code TOOL:}.
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
    public String render(List<ChatMessage> messages, List<Tool> tools) {
        // PlainChat's turns, plus the tools' turns that the engine's format (and fine-tuning) does not know.
        StringBuilder sb = new StringBuilder();
        boolean toolsTold = tools.isEmpty();
        for (ChatMessage m : messages) {
            if (!toolsTold && !m.isSystem()) {
                sb.append(PlainChat.turn("TOOLS", ToolSyntax.PLAIN.instruction(tools)));
                toolsTold = true;
            }
            String text = m.content().strip();
            if (!m.toolCalls().isEmpty()) text = (text.isEmpty() ? "" : text + "\n") + ToolSyntax.PLAIN.write(m.toolCalls());
            sb.append(PlainChat.turn(m.role(), text));
        }
        if (!toolsTold) sb.append(PlainChat.turn("TOOLS", ToolSyntax.PLAIN.instruction(tools)));
        return sb.append(PlainChat.header(ChatMessage.ASSISTANT)).toString();
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
