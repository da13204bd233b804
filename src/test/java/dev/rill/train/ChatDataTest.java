package dev.rill.train;

import dev.rill.chat.Turn;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatDataTest {

    private static final String GOOD = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}";

    @Test
    void parsesConversationsWithTheirLineNumbersSkippingBlankLines() {
        String text = "\uFEFF" + GOOD + "\n\n{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"q\"},"
                + " {\"role\": \"assistant\", \"content\": \"a\"}], \"id\": 7}\r\n";
        List<ChatData.Conversation> c = ChatData.parse(text, "chats.jsonl");
        assertEquals(2, c.size());
        assertEquals(1, c.get(0).line());
        assertEquals(3, c.get(1).line());
        assertEquals(List.of(new Turn("system", "s"), new Turn("user", "q"), new Turn("assistant", "a")), c.get(1).turns());
    }

    @Test
    void badLinesAreNamedByNumberWithWhatIsAccepted() {
        assertBad("chats.jsonl line 2 is not valid JSON", GOOD + "\n{\"messages\": [\n");
        assertBad("chats.jsonl line 1 is not a JSON object", "[1, 2]");
        assertBad("chats.jsonl line 1 has no \"messages\" array", "{\"msgs\": []}");
        assertBad("chats.jsonl line 1 has an empty \"messages\" array", "{\"messages\": []}");
        assertBad("chats.jsonl line 1 message 1 is not an object", "{\"messages\": [\"hi\"]}");
        assertBad("chats.jsonl line 1 message 2 has no \"content\" string", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\"}]}");
        assertBad("chats.jsonl line 1 message 1: unknown role 'bot'; accepted: system, user, assistant", "{\"messages\": [{\"role\": \"bot\", \"content\": \"a\"}]}");
        assertBad("chats.jsonl line 3 has no assistant message", GOOD + "\n" + GOOD + "\n{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}");
        assertBad("chats.jsonl holds no conversations", "\n \n");
    }

    private static void assertBad(String start, String text) {
        var e = assertThrows(IllegalArgumentException.class, () -> ChatData.parse(text, "chats.jsonl"));
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
        assertTrue(e.getMessage().endsWith(ChatData.ACCEPTED), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
    }
}
