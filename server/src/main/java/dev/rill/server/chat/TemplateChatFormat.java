package dev.rill.server.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.template.ChatTemplate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The chat format of a model that brings its own Jinja chat template (GGUF): the template renders
 * the conversation with the generation prompt; the model's end-of-turn tokens end the reply, so no
 * stop string is needed. Tools go to the template as Hugging Face passes them ({@code tools},
 * assistant {@code tool_calls} with arguments as objects, {@code tool} messages with their
 * {@code tool_call_id} and function {@code name}); a template that knows no tools gets them described
 * in its system turn, earlier calls written into the assistant's text and results as user turns.
 */
public final class TemplateChatFormat implements ChatFormat {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ChatTemplate template;
    private final ToolSyntax syntax;

    public TemplateChatFormat(ChatTemplate template) {
        this.template = template;
        this.syntax = ToolSyntax.ofTemplate(template.source());
    }

    @Override
    public String name() {
        return "jinja:" + template.name();
    }

    @Override
    public ToolSyntax toolSyntax() {
        return syntax;
    }

    /** @throws IllegalArgumentException when the template rejects the conversation (e.g. roles out of order) */
    @Override
    public String render(List<ChatMessage> messages, List<Tool> tools) {
        boolean native_ = template.knowsTools();
        boolean anyTools = !tools.isEmpty() || messages.stream().anyMatch(m -> !m.toolCalls().isEmpty() || m.toolCallId() != null);
        if (!anyTools) return template.render(messages.stream().map(m -> new ChatTemplate.Message(m.role(), m.content())).toList(), true);
        List<ChatMessage> conversation = native_ ? messages : described(messages, tools);
        Map<String, String> functionOfCall = new HashMap<>();
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (ChatMessage m : conversation) {
            Map<String, Object> mm = new LinkedHashMap<>();
            mm.put("role", m.role());
            mm.put("content", m.content());
            if (!m.toolCalls().isEmpty()) {
                List<Map<String, Object>> calls = new ArrayList<>();
                for (ToolCall c : m.toolCalls()) {
                    functionOfCall.put(c.id(), c.name());
                    Map<String, Object> function = new LinkedHashMap<>();
                    function.put("name", c.name());
                    function.put("arguments", object(c.arguments()));
                    Map<String, Object> call = new LinkedHashMap<>();
                    call.put("id", c.id());
                    call.put("type", "function");
                    call.put("function", function);
                    calls.add(call);
                }
                mm.put("tool_calls", calls);
            }
            if (m.toolCallId() != null) {
                mm.put("tool_call_id", m.toolCallId());
                mm.put("name", functionOfCall.getOrDefault(m.toolCallId(), ""));
            }
            msgs.add(mm);
        }
        List<Map<String, Object>> toolList = null;
        if (native_ && !tools.isEmpty()) {
            toolList = new ArrayList<>();
            for (Tool t : tools) {
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("name", t.name());
                f.put("description", t.description() == null ? "" : t.description());
                f.put("parameters", object(t.parameters() == null ? "{\"type\":\"object\",\"properties\":{}}" : t.parameters().toString()));
                Map<String, Object> tool = new LinkedHashMap<>();
                tool.put("type", "function");
                tool.put("function", f);
                toolList.add(tool);
            }
        }
        return template.render(msgs, toolList, true);
    }

    /** For a template without tools: the tools in the system turn, calls in the text, results as user turns. */
    private List<ChatMessage> described(List<ChatMessage> messages, List<Tool> tools) {
        List<ChatMessage> out = new ArrayList<>();
        String instruction = tools.isEmpty() ? null : syntax.instruction(tools);
        for (ChatMessage m : messages) {
            if (instruction != null && m.isSystem()) {
                out.add(new ChatMessage(ChatMessage.SYSTEM, m.content() + "\n\n" + instruction));
                instruction = null;
            } else if (!m.toolCalls().isEmpty()) {
                out.add(new ChatMessage(ChatMessage.ASSISTANT, (m.content().isEmpty() ? "" : m.content() + "\n") + syntax.write(m.toolCalls())));
            } else if (m.toolCallId() != null) {
                out.add(new ChatMessage(ChatMessage.USER, "<tool_response>\n" + m.content() + "\n</tool_response>"));
            } else {
                out.add(m);
            }
        }
        if (instruction != null) out.addFirst(new ChatMessage(ChatMessage.SYSTEM, instruction));
        return out;
    }

    private static Object object(String json) {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, Object>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tool call arguments are not a JSON object: " + json);
        }
    }

    @Override
    public List<String> stopStrings() {
        return List.of();
    }
}
