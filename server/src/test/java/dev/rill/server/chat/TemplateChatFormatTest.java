package dev.rill.server.chat;

import dev.rill.model.TinyModel;
import dev.rill.spi.Vocabulary;
import dev.rill.template.ChatTemplate;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
