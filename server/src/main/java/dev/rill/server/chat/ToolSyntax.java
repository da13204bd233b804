package dev.rill.server.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.sampler.grammar.JsonGrammar;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a model writes tool calls in its reply, as its chat template taught it: the grammar that makes
 * a reply consist of calls (for {@code tool_choice} {@code required} or a named function, enforced by
 * constrained sampling), and the parser that finds the calls in a reply.
 */
public enum ToolSyntax {

    /**
     * Hermes/Qwen 2.5 and 3: {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}, one
     * block per call. Also what Rill teaches models whose template knows no tools.
     */
    HERMES("<tool_call>\n", "\n</tool_call>", "\n</tool_call>\n<tool_call>\n", "arguments"),
    /** Llama 3.1–3.3 with JSON tool calling: the reply is {@code {"name": ..., "parameters": {...}}}, one call. */
    LLAMA3_JSON("", "", null, "parameters"),
    /** Mistral: {@code [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]}. */
    MISTRAL("[TOOL_CALLS][", "]", ", ", "arguments"),
    /** Rill's plain format: one line {@code CALL {"name": ..., "arguments": {...}}} per call. */
    PLAIN("CALL ", "", "\nCALL ", "arguments");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HERMES_BLOCK = Pattern.compile("<tool_call>\\s*(.*?)\\s*</tool_call>", Pattern.DOTALL);
    private static final Pattern PLAIN_LINE = Pattern.compile("(?m)^CALL \\{");
    /** The most calls a reply of several may hold (a bound keeps a random model from going on forever). */
    static final int MAX_CALLS = 8;

    /** Text before the first call; after the last; between calls ({@code null}: one call only); the arguments' key. */
    private final String open, close, between, argumentsKey;

    ToolSyntax(String open, String close, String between, String argumentsKey) {
        this.open = open;
        this.close = close;
        this.between = between;
        this.argumentsKey = argumentsKey;
    }

    /** The syntax a chat template uses, from its source; templates that know no tools get {@link #HERMES}, taught in the system turn. */
    public static ToolSyntax ofTemplate(String source) {
        if (source.contains("<tool_call>")) return HERMES;
        if (source.contains("[TOOL_CALLS]")) return MISTRAL;
        if (source.contains("<|python_tag|>") || source.contains("ipython")) return LLAMA3_JSON;
        return HERMES;
    }

    /** What a reply that calls tools starts with (streamed text is held back while it may be this). */
    public String marker() {
        return switch (this) {
            case HERMES -> "<tool_call>";
            case LLAMA3_JSON -> "{";
            case MISTRAL -> "[TOOL_CALLS]";
            case PLAIN -> "CALL ";
        };
    }

    public boolean parallel() {
        return between != null;
    }

    /**
     * GBNF for a reply made only of calls: one call of {@code only} when given, else one or more
     * (up to {@value #MAX_CALLS}, one if the syntax allows no more) of {@code tools}.
     *
     * @throws IllegalArgumentException when a tool's parameters schema is outside the supported subset
     */
    public String grammar(List<Tool> tools, Tool only, boolean parallelCalls) {
        JsonGrammar g = new JsonGrammar();
        List<String> calls = new ArrayList<>();
        for (Tool t : only != null ? List.of(only) : tools) {
            String args;
            try {
                args = t.parameters() == null ? g.primitive("object") : g.schema(t.parameters(), "args-" + t.name());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tool '" + t.name() + "': " + e.getMessage().replaceFirst("^schema", "parameters"), e);
            }
            String space = g.primitive("space");
            calls.add("\"{\" " + space + " \"\\\"name\\\"\" " + space + " \":\" " + space + " " + JsonGrammar.literal(quoted(t.name())) + " "
                    + space + " \",\" " + space + " " + JsonGrammar.literal(quoted(argumentsKey)) + " " + space + " \":\" " + space + " "
                    + args + " \"}\"");
        }
        String call = "(" + String.join(" | ", calls) + ")";
        String body = only == null && parallelCalls && between != null
                ? call + " (" + JsonGrammar.literal(between) + " " + call + "){0," + (MAX_CALLS - 1) + "}"
                : call;
        return g.grammar(JsonGrammar.literal(open) + " " + body + " " + JsonGrammar.literal(close));
    }

    private static String quoted(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A reply split into text and calls. */
    public record Parsed(String content, List<ToolCall> calls) {
    }

    /**
     * The calls in {@code reply}, when it holds any of {@code tools} (by name) in this syntax; else
     * empty (the reply is text). Calls get fresh ids.
     */
    public Optional<Parsed> parse(String reply, List<Tool> tools) {
        List<JsonNode> objects = new ArrayList<>();
        String rest = reply;
        switch (this) {
            case HERMES -> {
                Matcher m = HERMES_BLOCK.matcher(reply);
                StringBuilder text = new StringBuilder();
                int last = 0;
                while (m.find()) {
                    text.append(reply, last, m.start());
                    last = m.end();
                    JsonNode o = json(m.group(1));
                    if (o == null) return Optional.empty();
                    objects.add(o);
                }
                text.append(reply.substring(last));
                rest = text.toString();
            }
            case LLAMA3_JSON -> {
                String t = reply.strip();
                if (t.startsWith("<|python_tag|>")) t = t.substring("<|python_tag|>".length()).strip();
                for (String part : t.split(";\\s*(?=\\{)")) {
                    JsonNode o = json(part);
                    if (o == null) return Optional.empty();
                    objects.add(o);
                }
                rest = "";
            }
            case MISTRAL -> {
                int at = reply.indexOf("[TOOL_CALLS]");
                if (at < 0) return Optional.empty();
                JsonNode list = json(reply.substring(at + "[TOOL_CALLS]".length()));
                if (list == null || !list.isArray()) return Optional.empty();
                list.forEach(objects::add);
                rest = reply.substring(0, at);
            }
            case PLAIN -> {
                // Each call runs from "CALL " at the start of a line to the next such line (its JSON may span lines).
                Matcher m = PLAIN_LINE.matcher(reply);
                List<Integer> starts = new ArrayList<>();
                while (m.find()) starts.add(m.start());
                if (starts.isEmpty()) return Optional.empty();
                for (int i = 0; i < starts.size(); i++) {
                    int end = i + 1 < starts.size() ? starts.get(i + 1) : reply.length();
                    JsonNode o = json(reply.substring(starts.get(i) + "CALL ".length(), end));
                    if (o == null) return Optional.empty();
                    objects.add(o);
                }
                rest = reply.substring(0, starts.getFirst());
            }
        }
        if (objects.isEmpty()) return Optional.empty();
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode o : objects) {
            if (!o.isObject() || !o.path("name").isTextual()) return Optional.empty();
            String name = o.get("name").asText();
            if (tools.stream().noneMatch(t -> t.name().equals(name))) return Optional.empty();
            JsonNode args = o.has(argumentsKey) ? o.get(argumentsKey) : o.has("arguments") ? o.get("arguments") : o.get("parameters");
            if (args == null) args = JSON.createObjectNode();
            if (args.isTextual()) args = json(args.asText());   // some models write the arguments as a JSON string
            if (args == null || !args.isObject()) return Optional.empty();
            calls.add(new ToolCall(newId(), name, args.toString()));
        }
        return Optional.of(new Parsed(rest.strip(), calls));
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text.strip());
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** An id for a call, as OpenAI's look ({@code call_} and 24 characters). */
    public static String newId() {
        return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    /** How a call reads in this syntax (to show a model its own earlier calls when the template cannot). */
    public String write(List<ToolCall> calls) {
        List<String> parts = new ArrayList<>();
        for (ToolCall c : calls) {
            ObjectNode o = JSON.createObjectNode();
            o.put("name", c.name());
            JsonNode args = json(c.arguments());
            o.set(argumentsKey, args == null ? JSON.getNodeFactory().textNode(c.arguments()) : args);
            parts.add(o.toString());
        }
        return switch (this) {
            case HERMES -> String.join("\n", parts.stream().map(p -> "<tool_call>\n" + p + "\n</tool_call>").toList());
            case LLAMA3_JSON -> String.join("; ", parts);
            case MISTRAL -> "[TOOL_CALLS][" + String.join(", ", parts) + "]";
            case PLAIN -> String.join("\n", parts.stream().map(p -> "CALL " + p).toList());
        };
    }

    /** The instruction that teaches a model this syntax (for templates that know no tools, and Rill's plain format). */
    public String instruction(List<Tool> tools) {
        StringBuilder sb = new StringBuilder("You can call these functions (JSON Schema of their arguments):\n");
        for (Tool t : tools) {
            ObjectNode o = JSON.createObjectNode();
            o.put("name", t.name());
            if (t.description() != null && !t.description().isEmpty()) o.put("description", t.description());
            o.set("parameters", t.parameters() == null ? JSON.createObjectNode() : t.parameters());
            sb.append(o).append('\n');
        }
        sb.append("To call functions, reply with nothing but ").append(switch (this) {
            case HERMES -> "one block per call: <tool_call>\n{\"name\": NAME, \"arguments\": {ARGUMENTS}}\n</tool_call>";
            case LLAMA3_JSON -> "{\"name\": NAME, \"parameters\": {ARGUMENTS}}";
            case MISTRAL -> "[TOOL_CALLS][{\"name\": NAME, \"arguments\": {ARGUMENTS}}]";
            case PLAIN -> "one line per call: CALL {\"name\": NAME, \"arguments\": {ARGUMENTS}}";
        }).append(". Their results come back in the next turn.");
        return sb.toString();
    }
}
