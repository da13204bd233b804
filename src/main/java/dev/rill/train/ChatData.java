package dev.rill.train;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.chat.Turn;

import java.util.ArrayList;
import java.util.List;

/**
 * Fine-tuning data: JSON Lines, one conversation a line, in the OpenAI chat shape
 * <pre>{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}</pre>
 * Roles are {@code system}, {@code user} and {@code assistant}; every conversation needs at least
 * one assistant turn (the loss counts only the assistant's tokens). Blank lines are skipped.
 */
public final class ChatData {

    /** What one line must look like, for error messages. */
    public static final String ACCEPTED = "each line must be one JSON object {\"messages\": [{\"role\": \"system\"|\"user\"|\"assistant\", \"content\": \"...\"}, ...]} with at least one assistant message";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A conversation and the 1-based line it came from. */
    public record Conversation(int line, List<Turn> turns) {
        public Conversation {
            turns = List.copyOf(turns);
        }
    }

    private ChatData() {
    }

    /**
     * Parses the text of a JSONL file.
     *
     * @param source the file's name, for messages
     * @throws IllegalArgumentException naming the first bad line and what is accepted
     */
    public static List<Conversation> parse(String text, String source) {
        List<Conversation> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (i == 0 && line.startsWith("\uFEFF")) line = line.substring(1).strip();
            if (line.isEmpty()) continue;
            out.add(new Conversation(i + 1, conversation(line, i + 1, source)));
        }
        if (out.isEmpty()) throw new IllegalArgumentException(source + " holds no conversations; " + ACCEPTED);
        return List.copyOf(out);
    }

    private static List<Turn> conversation(String line, int number, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(line);
        } catch (JacksonException e) {
            throw bad(source, number, "is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) throw bad(source, number, "is not a JSON object");
        JsonNode messages = root.get("messages");
        if (messages == null || !messages.isArray()) throw bad(source, number, "has no \"messages\" array");
        if (messages.isEmpty()) throw bad(source, number, "has an empty \"messages\" array");
        List<Turn> turns = new ArrayList<>();
        boolean assistant = false;
        for (int k = 0; k < messages.size(); k++) {
            JsonNode m = messages.get(k);
            if (!m.isObject()) throw bad(source, number, "message " + (k + 1) + " is not an object");
            JsonNode role = m.get("role"), content = m.get("content");
            if (role == null || !role.isTextual()) throw bad(source, number, "message " + (k + 1) + " has no \"role\" string");
            if (content == null || !content.isTextual()) throw bad(source, number, "message " + (k + 1) + " has no \"content\" string");
            Turn turn;
            try {
                turn = new Turn(role.asText(), content.asText());
            } catch (IllegalArgumentException e) {
                throw bad(source, number, "message " + (k + 1) + ": " + e.getMessage());
            }
            assistant |= turn.isAssistant();
            turns.add(turn);
        }
        if (!assistant) throw bad(source, number, "has no assistant message (the loss counts only the assistant's tokens)");
        return turns;
    }

    private static IllegalArgumentException bad(String source, int line, String what) {
        return new IllegalArgumentException(source + " line " + line + " " + what + "; " + ACCEPTED);
    }
}
