package dev.rill.server.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.sampler.grammar.Grammar;
import dev.rill.sampler.grammar.Matcher;
import dev.rill.template.ChatTemplate;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tools in chat formats: Qwen 3's template renders them exactly as Python's jinja2 does (fixture made
 * by src/test/python/render_tool_templates.py); each syntax's grammar accepts the calls it writes and
 * its parser reads them back; Rill's plain format describes tools in a turn of their own.
 */
class ToolsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static Tool tool(JsonNode t) {
        JsonNode f = t.get("function");
        return new Tool(f.get("name").asText(), f.path("description").asText(""), f.get("parameters"));
    }

    @Test
    void qwen3RendersToolsCallsAndResultsAsJinja2Does() throws IOException {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/chat/tool-templates.json")) {
            cases = JSON.readTree(in);
        }
        assertEquals(2, cases.size());
        for (JsonNode c : cases) {
            List<Tool> tools = new ArrayList<>();
            for (JsonNode t : c.get("tools")) tools.add(tool(t));
            List<ChatMessage> messages = new ArrayList<>();
            for (JsonNode m : c.get("messages")) {
                List<ToolCall> calls = new ArrayList<>();
                for (JsonNode tc : m.path("tool_calls")) {
                    calls.add(new ToolCall(tc.get("id").asText(), tc.at("/function/name").asText(), tc.at("/function/arguments").toString()));
                }
                messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText(), calls,
                        m.has("tool_call_id") ? m.get("tool_call_id").asText() : null));
            }
            TemplateChatFormat format = new TemplateChatFormat(ChatTemplate.of("qwen3", c.get("template").asText(), "", "<|im_end|>"));
            assertEquals(ToolSyntax.HERMES, format.toolSyntax());
            assertEquals(c.get("expected").asText(), format.render(messages, tools));
        }
    }

    static final List<Tool> TOOLS;

    static {
        try {
            TOOLS = List.of(
                    new Tool("get_weather", "The weather", JSON.readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
                            + "\"days\":{\"type\":\"integer\"}},\"required\":[\"city\",\"days\"],\"additionalProperties\":false}")),
                    new Tool("now", "", JSON.readTree("{\"type\":\"object\",\"properties\":{}}")));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everySyntaxParsesWhatItWritesAndItsGrammarAcceptsIt() {
        List<ToolCall> calls = List.of(new ToolCall("call_a", "get_weather", "{\"city\":\"Paris\",\"days\":3}"),
                new ToolCall("call_b", "now", "{}"));
        for (ToolSyntax s : ToolSyntax.values()) {
            List<ToolCall> written = s.parallel() ? calls : calls.subList(0, 1);
            String reply = s.write(written);
            var parsed = s.parse(reply, TOOLS).orElseThrow(() -> new AssertionError(s + " cannot read " + reply));
            assertEquals(written.size(), parsed.calls().size(), s.name());
            for (int i = 0; i < written.size(); i++) {
                assertEquals(written.get(i).name(), parsed.calls().get(i).name());
                assertEquals(written.get(i).arguments(), parsed.calls().get(i).arguments());
                assertTrue(parsed.calls().get(i).id().matches("call_[0-9a-f]{24}"));
            }
            assertEquals("", parsed.content());
            Matcher any = new Matcher(Grammar.parse(s.grammar(TOOLS, null, true)));
            assertTrue(any.matches(reply), s + " grammar rejects " + reply);
            Matcher named = new Matcher(Grammar.parse(s.grammar(TOOLS, TOOLS.getFirst(), true)));
            assertTrue(named.matches(s.write(calls.subList(0, 1))), s.name());
            assertFalse(named.matches(s.write(calls.subList(1, 2))), "a named function allows no other");
            assertFalse(any.matches(s.write(List.of(new ToolCall("x", "get_weather", "{\"city\":\"Paris\"}")))), "required arguments");
            assertFalse(any.matches(s.write(List.of(new ToolCall("x", "delete_all", "{}")))), "unknown functions");
            assertTrue(s.parse("Just text, no call.", TOOLS).isEmpty());
            assertTrue(s.parse(s.write(List.of(new ToolCall("x", "delete_all", "{}"))), TOOLS).isEmpty(), "a call of no offered tool is text");
        }
        var mixed = ToolSyntax.HERMES.parse("Let me check.\n<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>", TOOLS).orElseThrow();
        assertEquals("Let me check.", mixed.content());
        var multiline = ToolSyntax.PLAIN.parse("CALL {\n\"name\": \"now\",\n \"arguments\" :\n{}\n\t}\nCALL {\"name\":\"now\",\"arguments\":{}}", TOOLS).orElseThrow();
        assertEquals(2, multiline.calls().size(), "a call's JSON may span lines, as the grammar's whitespace allows");
        var llama = ToolSyntax.LLAMA3_JSON.parse("<|python_tag|>{\"name\": \"now\", \"parameters\": {}}", TOOLS).orElseThrow();
        assertEquals("now", llama.calls().getFirst().name());
    }

    @Test
    void theTemplateSyntaxIsReadFromItsSource() {
        assertEquals(ToolSyntax.HERMES, ToolSyntax.ofTemplate("... <tool_call> ..."));
        assertEquals(ToolSyntax.LLAMA3_JSON, ToolSyntax.ofTemplate("{%- if message.role == \"ipython\" %}"));
        assertEquals(ToolSyntax.MISTRAL, ToolSyntax.ofTemplate("[TOOL_CALLS]"));
        assertEquals(ToolSyntax.HERMES, ToolSyntax.ofTemplate(ChatTemplate.CHATML));
    }

    @Test
    void thePlainFormatDescribesToolsInATurnAndShowsCallsAndResults() {
        String prompt = PlainChatFormat.INSTANCE.render(List.of(
                new ChatMessage("system", "Be brief."),
                new ChatMessage("user", "Weather?"),
                new ChatMessage("assistant", "", List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\",\"days\":1}")), null),
                new ChatMessage("tool", "{\"temp\":21}", List.of(), "call_1")), TOOLS);
        assertTrue(prompt.startsWith("SYSTEM:\nBe brief.\n\nTOOLS:\nYou can call these functions"), prompt);
        assertTrue(prompt.contains("{\"name\":\"get_weather\",\"description\":\"The weather\",\"parameters\":{"), prompt);
        assertTrue(prompt.contains("\n\nASSISTANT:\nCALL {\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\",\"days\":1}}\n\nTOOL:\n{\"temp\":21}\n\nASSISTANT:\n"), prompt);
        // Without tools, the format is what it always was.
        assertEquals("USER:\nhi\n\nASSISTANT:\n", PlainChatFormat.INSTANCE.render(List.of(new ChatMessage("user", "hi"))));
        // A template that knows no tools gets them in its system turn, calls in the text, results as user turns.
        String chatml = new TemplateChatFormat(ChatTemplate.of("chatml", ChatTemplate.CHATML, "", "")).render(List.of(
                new ChatMessage("user", "Weather?"),
                new ChatMessage("assistant", "", List.of(new ToolCall("call_1", "now", "{}")), null),
                new ChatMessage("tool", "noon", List.of(), "call_1")), TOOLS);
        assertTrue(chatml.startsWith("<|im_start|>system\nYou can call these functions"), chatml);
        assertTrue(chatml.contains("<|im_start|>assistant\n<tool_call>\n{\"name\":\"now\",\"arguments\":{}}\n</tool_call><|im_end|>"), chatml);
        assertTrue(chatml.contains("<|im_start|>user\n<tool_response>\nnoon\n</tool_response><|im_end|>"), chatml);
    }
}
