package dev.rill.server.chat;

import dev.rill.model.TinyModel;
import dev.rill.spi.Vocabulary;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PromptBuilderTest {

    static final Vocabulary VOCABULARY = TinyModel.load().vocabulary();

    @Test
    void thePlainFormatReadsLikeThePlay() {
        String prompt = PlainChatFormat.INSTANCE.render(List.of(new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "  Good morrow!\n"), new ChatMessage("assistant", "Good morrow."), new ChatMessage("user", "Speak.")));
        assertEquals("SYSTEM:\nBe brief.\n\nUSER:\nGood morrow!\n\nASSISTANT:\nGood morrow.\n\nUSER:\nSpeak.\n\nASSISTANT:\n", prompt);
        assertEquals(List.of("\n\n"), PlainChatFormat.INSTANCE.stopStrings());
    }

    @Test
    void aConversationThatFitsIsKeptWhole() {
        List<ChatMessage> messages = List.of(new ChatMessage("user", "Hello"));
        PromptBuilder.Prompt p = PromptBuilder.build(PlainChatFormat.INSTANCE, VOCABULARY::encode, messages, 100);
        assertEquals(0, p.dropped());
        assertArrayEquals(VOCABULARY.encode(PlainChatFormat.INSTANCE.render(messages)), p.tokens());
    }

    @Test
    void theOldestTurnsGoFirstAndSystemMessagesAndTheLastMessageStay() {
        List<ChatMessage> messages = new ArrayList<>();
        messages.add(new ChatMessage("system", "Be brief."));
        for (int i = 0; i < 6; i++) messages.add(new ChatMessage(i % 2 == 0 ? "user" : "assistant", "turn number " + i));
        messages.add(new ChatMessage("user", "last"));
        int whole = VOCABULARY.encode(PlainChatFormat.INSTANCE.render(messages)).length;
        for (int budget = whole; budget > 0; budget -= 7) {
            PromptBuilder.Prompt p = PromptBuilder.build(PlainChatFormat.INSTANCE, VOCABULARY::encode, messages, budget);
            // What remains is exactly the system message plus the newest turns, rendered.
            List<ChatMessage> kept = new ArrayList<>();
            kept.add(messages.getFirst());
            kept.addAll(messages.subList(1 + p.dropped(), messages.size()));
            assertArrayEquals(VOCABULARY.encode(PlainChatFormat.INSTANCE.render(kept)), p.tokens(), "budget " + budget);
            if (p.dropped() < 6) {
                assertTrue(p.tokens().length <= budget, "fits the budget " + budget);
                if (p.dropped() > 0) {
                    List<ChatMessage> oneMore = new ArrayList<>(kept);
                    oneMore.add(1, messages.get(p.dropped()));
                    assertTrue(VOCABULARY.encode(PlainChatFormat.INSTANCE.render(oneMore)).length > budget, "drops no more than needed");
                }
            }
        }
        // Never drops the system message or the last message, even when they alone are too long.
        PromptBuilder.Prompt tiny = PromptBuilder.build(PlainChatFormat.INSTANCE, VOCABULARY::encode, messages, 1);
        assertEquals(6, tiny.dropped());
    }

    @Test
    void dropping8000TurnsEncodesTheConversationAFewTimesNotOncePerTurn() {
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < 8000; i++) messages.add(new ChatMessage(i % 2 == 0 ? "user" : "assistant", "a"));
        long[] encoded = new long[2];
        java.util.function.Function<String, int[]> counting = text -> {
            encoded[0] += text.length();
            encoded[1]++;
            return VOCABULARY.encode(text);
        };
        int rendered = PlainChatFormat.INSTANCE.render(messages).length();
        PromptBuilder.Prompt p = PromptBuilder.build(PlainChatFormat.INSTANCE, counting, messages, 100);
        assertTrue(p.tokens().length <= 100);
        // Every turn but the last few is dropped, and no fewer would fit.
        List<ChatMessage> oneMore = new ArrayList<>(messages.subList(p.dropped() - 1, messages.size()));
        assertTrue(VOCABULARY.encode(PlainChatFormat.INSTANCE.render(oneMore)).length > 100);
        // Linear: the whole conversation once, each message once, a few small trial prompts (before: once per dropped turn, 7,990 times).
        assertTrue(encoded[0] < 3L * rendered, "encoded " + encoded[0] + " characters for a conversation of " + rendered);
        assertTrue(encoded[1] < 8000 + 40, encoded[1] + " encoder calls");
    }

    @Test
    void aContinuedReplyStaysOpenInThePlainFormatAndOldTurnsStillGoFirst() {
        List<ChatMessage> messages = List.of(new ChatMessage("user", "first question"), new ChatMessage("assistant", "first answer"),
                new ChatMessage("user", "Speak."), new ChatMessage("assistant", "  Good morrow, "));
        // The reply's text is kept as it is (its spaces are where the model stopped), with no blank line after it.
        String open = "USER:\nfirst question\n\nASSISTANT:\nfirst answer\n\nUSER:\nSpeak.\n\nASSISTANT:\n  Good morrow, ";
        assertEquals(open, PlainChatFormat.INSTANCE.renderContinuation(messages));
        PromptBuilder.Prompt whole = PromptBuilder.build(PlainChatFormat.INSTANCE, VOCABULARY::encode, messages, 1000, true);
        assertArrayEquals(VOCABULARY.encode(open), whole.tokens());
        PromptBuilder.Prompt cropped = PromptBuilder.build(PlainChatFormat.INSTANCE, VOCABULARY::encode, messages, whole.tokens().length - 1, true);
        assertEquals(1, cropped.dropped());
        assertArrayEquals(VOCABULARY.encode(PlainChatFormat.INSTANCE.renderContinuation(messages.subList(1, 4))), cropped.tokens());
        assertThrows(IllegalArgumentException.class,
                () -> PromptBuilder.build(PlainChatFormat.INSTANCE, VOCABULARY::encode, messages.subList(0, 3), 1000, true));
    }

    @Test
    void anEmptyConversationIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> PromptBuilder.build(PlainChatFormat.INSTANCE, VOCABULARY::encode, List.of(), 10));
        IllegalArgumentException role = assertThrows(IllegalArgumentException.class, () -> new ChatMessage("wizard", "x"));
        assertTrue(role.getMessage().contains("system, user, assistant"), role.getMessage());
    }
}
