package dev.rill.server.chat;

import dev.rill.model.TinyModel;
import dev.rill.spi.Vocabulary;
import dev.rill.template.ChatTemplate;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model's own Jinja template (GGUF) renders the conversation; its end-of-turn token, not a stop string, ends the reply. */
class TemplateChatFormatTest {

    static final ChatFormat CHATML = new TemplateChatFormat(ChatTemplate.of("chatml", ChatTemplate.CHATML, "", "<|im_end|>"));

    @Test
    void rendersTheConversationWithTheGenerationPrompt() {
        String prompt = CHATML.render(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", prompt);
        assertEquals(List.of(), CHATML.stopStrings());
        assertEquals("jinja:chatml", CHATML.name());
    }

    @Test
    void aContinuedReplyIsTheConversationUpToItsEndOfTurn() {
        List<ChatMessage> messages = List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"),
                new ChatMessage("assistant", "Hello, how ca"));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello, how ca",
                CHATML.renderContinuation(messages));
        // The whole conversation rendered by the template without a generation prompt is exactly the
        // continuation prompt followed by the template's end of the assistant's turn.
        Map<ChatTemplate, String> endOfTurn = Map.of(
                ChatTemplate.of("chatml", ChatTemplate.CHATML, "", "<|im_end|>"), "<|im_end|>\n",
                ChatTemplate.of("llama3", ChatTemplate.LLAMA3, "<s>", "<|eot_id|>"), "<|eot_id|>");
        endOfTurn.forEach((template, end) -> {
            String closed = template.render(messages.stream().map(m -> new ChatTemplate.Message(m.role(), m.content())).toList(), false);
            assertEquals(closed, new TemplateChatFormat(template).renderContinuation(messages) + end, template.name());
        });
        IllegalArgumentException notAReply = assertThrows(IllegalArgumentException.class, () -> CHATML.renderContinuation(messages.subList(0, 2)));
        assertTrue(notAReply.getMessage().contains("the user's"), notAReply.getMessage());
    }

    @Test
    void oldTurnsAreDroppedThroughTheTemplateToo() {
        Vocabulary v = TinyModel.load().vocabulary();
        List<ChatMessage> messages = List.of(new ChatMessage("system", "S"), new ChatMessage("user", "one"),
                new ChatMessage("assistant", "two"), new ChatMessage("user", "three"));
        int whole = v.encode(CHATML.render(messages)).length;
        PromptBuilder.Prompt p = PromptBuilder.build(CHATML, v::encode, messages, whole - 1);
        assertEquals(1, p.dropped(), "one turn less fits");
        assertArrayEquals(v.encode(CHATML.render(List.of(messages.get(0), messages.get(2), messages.get(3)))), p.tokens());
    }
}
