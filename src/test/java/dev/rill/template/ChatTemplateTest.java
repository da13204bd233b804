package dev.rill.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Chat templates rendered by Jinjava against the reference rendering of Python's jinja2 set up as
 * Hugging Face's apply_chat_template (fixture made by src/test/python/render_chat_templates.py
 * from the real Llama 3 and Qwen 3 templates).
 */
class ChatTemplateTest {

    @Test
    void rendersRealTemplatesExactlyAsJinja2Does() throws IOException {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/gguf/chat-templates.json")) {
            cases = new ObjectMapper().readTree(in);
        }
        assertTrue(cases.size() >= 12);
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            List<ChatTemplate.Message> messages = new ArrayList<>();
            for (JsonNode m : c.get("messages")) messages.add(new ChatTemplate.Message(m.get("role").asText(), m.get("content").asText()));
            ChatTemplate t = ChatTemplate.of(c.get("name").asText(), c.get("template").asText(), c.get("bos_token").asText(), c.get("eos_token").asText());
            String got;
            try {
                got = t.render(messages, c.get("add_generation_prompt").asBoolean());
            } catch (IllegalArgumentException e) {
                got = "ERROR " + e.getMessage();
            }
            if (!got.equals(c.get("expected").asText())) {
                failures.add(c.get("name").asText() + " gen=" + c.get("add_generation_prompt") + "\nexpected: " + c.get("expected").asText().replace("\n", "\\n")
                        + "\n     got: " + got.replace("\n", "\\n"));
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n\n", failures));
    }

    @Test
    void builtInFallbacksFollowTheirFormats() {
        var msgs = List.of(new ChatTemplate.Message("system", "S"), new ChatTemplate.Message("user", " hi "));
        assertEquals("<s><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                ChatTemplate.of("llama3", ChatTemplate.LLAMA3, "<s>", "</s>").render(msgs, true));
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n hi <|im_end|>\n",
                ChatTemplate.of("chatml", ChatTemplate.CHATML, "", "").render(msgs, false));
    }

    @Test
    void aTemplateThatRejectsAConversationSaysWhy() {
        ChatTemplate t = ChatTemplate.of("strict", "{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversation must start with user') }}{% endif %}ok", "", "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(new ChatTemplate.Message("assistant", "x")), true));
        assertTrue(e.getMessage().contains("Conversation must start with user"), e.getMessage());
        assertEquals("ok", t.render(List.of(new ChatTemplate.Message("user", "x")), true));
    }
}
