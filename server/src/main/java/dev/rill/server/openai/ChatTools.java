package dev.rill.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.sampler.grammar.JsonGrammar;
import dev.rill.server.api.ApiException;
import dev.rill.server.chat.ChatMessage;
import dev.rill.server.chat.Tool;
import dev.rill.server.chat.ToolCall;
import dev.rill.server.chat.ToolSyntax;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The chat request's tools ({@code tools}, {@code tool_choice}, {@code parallel_tool_calls}), its
 * messages with tool calls and results, and {@code response_format}: what the model sees, and the
 * grammar that holds its reply to a form.
 */
final class ChatTools {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** Tools per request. */
    static final int MAX_TOOLS = 128;

    enum Choice { NONE, AUTO, REQUIRED, NAMED }

    /**
     * @param tools    offered tools (empty: none)
     * @param choice   how the model may use them
     * @param named    the function a {@link Choice#NAMED} choice names
     * @param parallel whether a reply may call several
     */
    record Request(List<Tool> tools, Choice choice, Tool named, boolean parallel) {
        static final Request NONE = new Request(List.of(), Choice.NONE, null, true);

        /** Whether replies are parsed for calls. */
        boolean parses() {
            return choice != Choice.NONE && !tools.isEmpty();
        }

        /** The grammar that makes the reply calls ({@code required}, named), or {@code null}. */
        String grammar(ToolSyntax syntax) {
            if (choice != Choice.REQUIRED && choice != Choice.NAMED) return null;
            try {
                return syntax.grammar(tools, named, parallel);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("tools", e.getMessage());
            }
        }
    }

    private ChatTools() {
    }

    static Request parse(JsonNode tools, JsonNode toolChoice, Boolean parallel) {
        List<Tool> out = new ArrayList<>();
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) throw ApiException.invalid("tools", "tools must be an array of {\"type\": \"function\", \"function\": {...}}");
            if (tools.size() > MAX_TOOLS) throw ApiException.invalid("tools", "tools has " + tools.size() + " entries; at most " + MAX_TOOLS + " are accepted");
            Set<String> names = new HashSet<>();
            for (int i = 0; i < tools.size(); i++) {
                JsonNode t = tools.get(i);
                String at = "tools[" + i + "]";
                if (!t.isObject() || !"function".equals(t.path("type").asText())) {
                    throw ApiException.invalid(at + ".type", at + " must be {\"type\": \"function\", \"function\": {name, description, parameters}}; "
                            + "only function tools are supported");
                }
                JsonNode f = t.get("function");
                if (f == null || !f.isObject()) throw ApiException.invalid(at + ".function", at + ".function must be an object {name, description, parameters}");
                String name = f.path("name").asText(null);
                if (name == null || !NAME.matcher(name).matches()) {
                    throw ApiException.invalid(at + ".function.name", at + ".function.name must be 1 to 64 letters, digits, '_' or '-'");
                }
                if (!names.add(name)) throw ApiException.invalid(at + ".function.name", "two tools are named '" + name + "'");
                JsonNode params = f.get("parameters");
                if (params != null && !params.isNull() && !params.isObject()) {
                    throw ApiException.invalid(at + ".function.parameters", at + ".function.parameters must be a JSON Schema object");
                }
                JsonNode description = f.get("description");
                out.add(new Tool(name, description != null && description.isTextual() ? description.asText() : "",
                        params == null || params.isNull() ? null : params));
            }
        }
        Choice choice = out.isEmpty() ? Choice.NONE : Choice.AUTO;
        Tool named = null;
        if (toolChoice != null && !toolChoice.isNull()) {
            if (toolChoice.isTextual()) {
                choice = switch (toolChoice.asText()) {
                    case "none" -> Choice.NONE;
                    case "auto" -> Choice.AUTO;
                    case "required" -> Choice.REQUIRED;
                    default -> throw ApiException.invalid("tool_choice", "tool_choice must be \"none\", \"auto\", \"required\" or "
                            + "{\"type\": \"function\", \"function\": {\"name\": ...}} (got \"" + toolChoice.asText() + "\")");
                };
            } else if (toolChoice.isObject() && "function".equals(toolChoice.path("type").asText()) && toolChoice.at("/function/name").isTextual()) {
                String name = toolChoice.at("/function/name").asText();
                named = out.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow(() -> ApiException.invalid("tool_choice",
                        "tool_choice names '" + name + "', which is not among the tools"));
                choice = Choice.NAMED;
            } else {
                throw ApiException.invalid("tool_choice", "tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}");
            }
            if ((choice == Choice.REQUIRED || choice == Choice.AUTO) && out.isEmpty()) {
                throw ApiException.invalid("tool_choice", "tool_choice \"" + toolChoice.asText() + "\" needs tools");
            }
        }
        return new Request(out, choice, named, parallel == null || parallel);
    }

    /** A chat message with OpenAI's tool fields: an assistant's {@code tool_calls}, a tool's result. */
    static ChatMessage message(String role, String content, JsonNode toolCalls, String toolCallId, String at) {
        if (role.equals(ChatMessage.TOOL)) {
            if (toolCallId == null || toolCallId.isBlank()) throw ApiException.invalid(at + ".tool_call_id", at + " is a tool result: tool_call_id is required");
            return new ChatMessage(role, content, List.of(), toolCallId);
        }
        List<ToolCall> calls = new ArrayList<>();
        if (toolCalls != null && !toolCalls.isNull()) {
            if (!role.equals(ChatMessage.ASSISTANT)) throw ApiException.invalid(at + ".tool_calls", "only assistant messages carry tool_calls");
            if (!toolCalls.isArray()) throw ApiException.invalid(at + ".tool_calls", at + ".tool_calls must be an array");
            for (int i = 0; i < toolCalls.size(); i++) {
                JsonNode c = toolCalls.get(i);
                String ca = at + ".tool_calls[" + i + "]";
                String name = c.at("/function/name").asText(null);
                JsonNode args = c.at("/function/arguments");
                if (name == null) throw ApiException.invalid(ca + ".function.name", ca + ".function.name is required");
                String arguments = args.isTextual() ? args.asText() : args.isObject() ? args.toString() : null;
                if (arguments == null || !isObject(arguments)) {
                    throw ApiException.invalid(ca + ".function.arguments", ca + ".function.arguments must be a JSON object (as a string)");
                }
                calls.add(new ToolCall(c.path("id").asText(ToolSyntax.newId()), name, arguments));
            }
        }
        return new ChatMessage(role, content, calls, null);
    }

    private static boolean isObject(String json) {
        try {
            return JSON.readTree(json).isObject();
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * The grammar {@code response_format} asks for: none for {@code text}, any JSON object for
     * {@code json_object}, the schema's documents for {@code json_schema}.
     */
    static String responseFormat(JsonNode rf) {
        if (rf == null || rf.isNull()) return null;
        if (!rf.isObject() || !rf.path("type").isTextual()) {
            throw ApiException.invalid("response_format", "response_format must be {\"type\": \"text\" | \"json_object\" | \"json_schema\", ...}");
        }
        return switch (rf.get("type").asText()) {
            case "text" -> null;
            case "json_object" -> JsonGrammar.anyObject();
            case "json_schema" -> {
                JsonNode s = rf.at("/json_schema/schema");
                if (!rf.has("json_schema") || !rf.get("json_schema").isObject()) {
                    throw ApiException.invalid("response_format.json_schema", "response_format.json_schema must be an object {name, schema, strict}");
                }
                if (s.isMissingNode() || s.isNull()) yield JsonGrammar.anyValue();   // a name alone: any JSON
                try {
                    yield JsonGrammar.of(s);
                } catch (IllegalArgumentException e) {
                    // The message starts with the keyword's path in the schema: that is the field at fault.
                    String message = e.getMessage().replaceFirst("^schema", "response_format.json_schema.schema");
                    String path = message.startsWith("response_format.") && message.indexOf(' ') > 0 ? message.substring(0, message.indexOf(' '))
                            : "response_format.json_schema.schema";
                    throw ApiException.invalid(path, message);
                }
            }
            default -> throw ApiException.invalid("response_format.type", "response_format.type must be \"text\", \"json_object\" or \"json_schema\" (got \""
                    + rf.get("type").asText() + "\")");
        };
    }
}
