package dev.rill.chat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlainChatTest {

    private static final List<Turn> CHAT = List.of(
            new Turn("system", "Be brief."),
            new Turn("user", "  Hello \n"),
            new Turn("assistant", "Hi!"),
            new Turn("USER", "Who are you?"),
            new Turn("assistant", "A model."));

    @Test
    void thePromptIsEveryTurnThenTheOpenAssistantHeader() {
        assertEquals("SYSTEM:\nBe brief.\n\nUSER:\nHello\n\nASSISTANT:\nHi!\n\nUSER:\nWho are you?\n\nASSISTANT:\nA model.\n\nASSISTANT:\n",
                PlainChat.render(CHAT));
    }

    /** Training text = the prompt of the whole chat without its open header; only speech and end of turn of the assistant count. */
    @Test
    void segmentsJoinToTheRenderedChatAndMarkOnlyTheAssistantsSpeech() {
        List<PlainChat.Segment> segments = PlainChat.segments(CHAT);
        String joined = String.join("", segments.stream().map(PlainChat.Segment::text).toList());
        String prompt = PlainChat.render(CHAT);
        assertEquals(prompt.substring(0, prompt.length() - "ASSISTANT:\n".length()), joined);
        assertEquals(List.of("Hi!\n\n", "A model.\n\n"),
                segments.stream().filter(PlainChat.Segment::assistant).map(PlainChat.Segment::text).toList());
        assertTrue(segments.getFirst().text().endsWith("ASSISTANT:\n") && !segments.getFirst().assistant());
        // A prompt of the first k turns is exactly the training text up to the k-th reply: what the model learns is what it is asked.
        String upToFirstReply = PlainChat.render(CHAT.subList(0, 2));
        assertEquals(upToFirstReply, segments.getFirst().text());
    }

    @Test
    void aTrailingUserTurnIsContext() {
        List<PlainChat.Segment> s = PlainChat.segments(List.of(new Turn("user", "a"), new Turn("assistant", "b"), new Turn("user", "c")));
        assertEquals(3, s.size());
        assertEquals(new PlainChat.Segment("USER:\nc\n\n", false), s.get(2));
    }

    @Test
    void unknownRolesAreRefusedNamingTheAcceptedOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Turn("narrator", "x"));
        assertEquals("unknown role 'narrator'; accepted: system, user, assistant", e.getMessage());
    }
}
