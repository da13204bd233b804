package dev.rill.sampler.grammar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes GBNF for JSON: any value, any object, or the documents of a JSON Schema — the subset
 * OpenAI's strict structured outputs accept: {@code type} (object, array, string, number, integer,
 * boolean, null, or a list of them), {@code properties} with {@code required} (properties are written
 * in the schema's order; ones not required may be left out), {@code additionalProperties: false},
 * {@code items}, {@code enum}, {@code const}, {@code anyOf}, {@code $ref} to {@code #}, {@code #/$defs/...}
 * or {@code #/definitions/...} (recursion allowed), plus {@code minItems}/{@code maxItems} and
 * {@code minLength}/{@code maxLength}. Keywords that would constrain values beyond that
 * ({@code pattern}, {@code format}, {@code minimum}, ...) are refused with a message naming them,
 * rather than ignored. Annotations ({@code title}, {@code description}, {@code default},
 * {@code examples}, {@code $schema}, {@code $id}, {@code strict}) are allowed and have no effect.
 *
 * <p>Whitespace between tokens is limited as in llama.cpp's grammars (nothing, a space, or one
 * newline and up to 20 spaces or tabs), so a document never contains a blank line.
 */
public final class JsonGrammar {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema", "$id",
            "$comment", "strict", "deprecated", "readOnly", "writeOnly");
    private static final Set<String> HANDLED = Set.of("type", "properties", "required", "additionalProperties", "items", "enum",
            "const", "anyOf", "$ref", "$defs", "definitions", "minItems", "maxItems", "minLength", "maxLength");

    /** The shared rules, by name, written when first used. */
    private static final Map<String, String> PRIMITIVES = new LinkedHashMap<>();

    static {
        PRIMITIVES.put("space", "| \" \" | \"\\n\" [ \\t]{0,20}");
        PRIMITIVES.put("char", "[^\"\\\\\\x7F\\x00-\\x1F] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4})");
        PRIMITIVES.put("string", "\"\\\"\" char* \"\\\"\" space");
        PRIMITIVES.put("integral", "\"0\" | [1-9] [0-9]{0,15}");
        PRIMITIVES.put("integer", "\"-\"? integral space");
        PRIMITIVES.put("number", "\"-\"? integral (\".\" [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})? space");
        PRIMITIVES.put("boolean", "(\"true\" | \"false\") space");
        PRIMITIVES.put("null", "\"null\" space");
        PRIMITIVES.put("value", "object | array | string | number | boolean | null");
        PRIMITIVES.put("object", "\"{\" space (string \":\" space value (\",\" space string \":\" space value)*)? \"}\" space");
        PRIMITIVES.put("array", "\"[\" space (value (\",\" space value)*)? \"]\" space");
    }

    private static final Map<String, List<String>> USES = Map.of(
            "string", List.of("char", "space"), "integer", List.of("integral", "space"), "number", List.of("integral", "space"),
            "boolean", List.of("space"), "null", List.of("space"), "value", List.of("object", "array", "string", "number", "boolean", "null"),
            "object", List.of("space", "string", "value"), "array", List.of("space", "value"));

    private final Map<String, String> rules = new LinkedHashMap<>();
    private final Map<String, Integer> counters = new HashMap<>();
    private JsonNode root;
    private final Map<String, String> refRules = new HashMap<>();

    /** GBNF for any JSON object ({@code response_format: json_object}). */
    public static String anyObject() {
        JsonGrammar g = new JsonGrammar();
        return g.grammar(g.primitive("object"));
    }

    /** GBNF for any JSON value. */
    public static String anyValue() {
        JsonGrammar g = new JsonGrammar();
        return g.grammar(g.primitive("value"));
    }

    /**
     * GBNF for the documents of {@code schema}.
     *
     * @throws IllegalArgumentException naming the keyword (by its path in the schema) that is not supported or malformed
     */
    public static String of(JsonNode schema) {
        JsonGrammar g = new JsonGrammar();
        return g.grammar(g.schema(schema, "root-value"));
    }

    /** A grammar whose root is {@code body} (GBNF), with the rules added so far. */
    public String grammar(String body) {
        StringBuilder sb = new StringBuilder("root ::= ").append(body).append('\n');
        rules.forEach((name, rhs) -> sb.append(name).append(" ::= ").append(rhs).append('\n'));
        return sb.toString();
    }

    /** Adds the rules for {@code schema} (a root of its own {@code $ref}s) and returns its rule name. */
    public String schema(JsonNode schema, String name) {
        JsonNode saved = root;
        root = schema;
        refRules.clear();
        try {
            return visit(schema, "schema", name);
        } finally {
            root = saved;
        }
    }

    /** The name of a shared rule ({@code string}, {@code value}, ...), adding it and what it uses. */
    public String primitive(String name) {
        if (!rules.containsKey(name)) {
            rules.put(name, PRIMITIVES.get(name));
            for (String used : USES.getOrDefault(name, List.of())) primitive(used);
        }
        return name;
    }

    /** A GBNF string literal of exactly {@code text}. */
    public static String literal(String text) {
        StringBuilder sb = new StringBuilder("\"");
        text.codePoints().forEach(cp -> {
            switch (cp) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (cp < 0x20 || cp == 0x7F) sb.append(String.format("\\x%02X", cp));
                    else sb.appendCodePoint(cp);
                }
            }
        });
        return sb.append('"').toString();
    }

    /** A rule named after {@code hint}, unique. */
    private String fresh(String hint) {
        String base = hint.replaceAll("[^a-zA-Z0-9-]+", "-").replaceAll("^-+|-+$", "");
        if (base.isEmpty()) base = "r";
        String name = base;
        while (rules.containsKey(name) || PRIMITIVES.containsKey(name) || name.equals("root")) {
            int k = counters.merge(base, 1, Integer::sum);
            name = base + "-" + k;
        }
        rules.put(name, "");   // reserve
        return name;
    }

    private String define(String hint, String body) {
        String name = fresh(hint);
        rules.put(name, body);
        return name;
    }

    private String visit(JsonNode s, String path, String hint) {
        if (s == null || s.isNull()) throw bad(path, "is missing; expected a schema object");
        if (s.isBoolean()) {
            if (s.asBoolean()) return primitive("value");
            throw bad(path, "is false: no value is allowed");
        }
        if (!s.isObject()) throw bad(path, "must be a schema object");
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!HANDLED.contains(k) && !ANNOTATIONS.contains(k)) {
                throw bad(path + "." + k, "keyword '" + k + "' is not supported by Rill's constrained sampling; supported: "
                        + String.join(", ", HANDLED.stream().sorted().toList()));
            }
        }
        if (s.has("$ref")) return ref(s.get("$ref"), path + ".$ref");
        if (s.has("const")) return define(hint, jsonLiteral(s.get("const")) + " space") + used("space");
        if (s.has("enum")) {
            JsonNode e = s.get("enum");
            if (!e.isArray() || e.isEmpty()) throw bad(path + ".enum", "must be a non-empty array");
            List<String> alts = new ArrayList<>();
            for (JsonNode v : e) alts.add(jsonLiteral(v));
            primitive("space");
            return define(hint, "(" + String.join(" | ", alts) + ") space");
        }
        if (s.has("anyOf")) {
            JsonNode any = s.get("anyOf");
            if (!any.isArray() || any.isEmpty()) throw bad(path + ".anyOf", "must be a non-empty array of schemas");
            List<String> alts = new ArrayList<>();
            for (int i = 0; i < any.size(); i++) alts.add(visit(any.get(i), path + ".anyOf[" + i + "]", hint + "-" + i));
            return define(hint, String.join(" | ", alts));
        }
        JsonNode type = s.get("type");
        if (type == null) {
            if (s.has("properties")) return object(s, path, hint);
            if (s.has("items")) return array(s, path, hint);
            return primitive("value");
        }
        if (type.isArray()) {
            if (type.isEmpty()) throw bad(path + ".type", "must name at least one type");
            List<String> alts = new ArrayList<>();
            for (JsonNode t : type) {
                if (!t.isTextual()) throw bad(path + ".type", "must be a type name or an array of them");
                alts.add(typed(s, t.asText(), path, hint + "-" + t.asText()));
            }
            return define(hint, String.join(" | ", alts));
        }
        if (!type.isTextual()) throw bad(path + ".type", "must be a type name or an array of them");
        return typed(s, type.asText(), path, hint);
    }

    private String used(String primitive) {
        primitive(primitive);
        return "";
    }

    private String typed(JsonNode s, String type, String path, String hint) {
        return switch (type) {
            case "object" -> object(s, path, hint);
            case "array" -> array(s, path, hint);
            case "string" -> string(s, path, hint);
            case "number" -> primitive("number");
            case "integer" -> primitive("integer");
            case "boolean" -> primitive("boolean");
            case "null" -> primitive("null");
            default -> throw bad(path + ".type", "unknown type '" + type + "'; expected object, array, string, number, integer, boolean or null");
        };
    }

    private String string(JsonNode s, String path, String hint) {
        int min = count(s, "minLength", path, 0);
        int max = count(s, "maxLength", path, -1);
        if (min == 0 && max < 0) return primitive("string");
        if (max >= 0 && max < min) throw bad(path + ".maxLength", "is below minLength");
        primitive("char");
        primitive("space");
        return define(hint, "\"\\\"\" char{" + min + "," + (max < 0 ? "" : max) + "} \"\\\"\" space");
    }

    private String array(JsonNode s, String path, String hint) {
        String item = s.has("items") ? visit(s.get("items"), path + ".items", hint + "-item") : primitive("value");
        int min = count(s, "minItems", path, 0);
        int max = count(s, "maxItems", path, -1);
        if (max >= 0 && max < min) throw bad(path + ".maxItems", "is below minItems");
        primitive("space");
        String more = "(\",\" space " + item + ")";
        String body;
        if (max == 0) {
            body = "";
        } else if (min == 0) {
            body = "(" + item + " " + more + (max < 0 ? "*" : "{0," + (max - 1) + "}") + ")?";
        } else {
            body = item + " " + more + "{" + (min - 1) + "," + (max < 0 ? "" : String.valueOf(max - 1)) + "}";
        }
        return define(hint, "\"[\" space " + body + " \"]\" space");
    }

    private String object(JsonNode s, String path, String hint) {
        JsonNode props = s.get("properties");
        JsonNode additional = s.get("additionalProperties");
        if (additional != null && !additional.isBoolean()) {
            throw bad(path + ".additionalProperties", "must be false (or true); schemas for extra properties are not supported");
        }
        if (props == null || props.isEmpty()) {
            if (additional != null && !additional.asBoolean()) return define(hint, "\"{\" space \"}\" space") + used("space");
            return primitive("object");
        }
        if (!props.isObject()) throw bad(path + ".properties", "must be an object of property schemas");
        Set<String> required = new java.util.LinkedHashSet<>();
        JsonNode req = s.get("required");
        if (req != null) {
            if (!req.isArray()) throw bad(path + ".required", "must be an array of property names");
            for (JsonNode r : req) {
                if (!r.isTextual() || !props.has(r.asText())) {
                    throw bad(path + ".required", "names '" + r.asText() + "', which is not among the properties");
                }
                required.add(r.asText());
            }
        }
        List<String> kv = new ArrayList<>();
        List<Boolean> mandatory = new ArrayList<>();
        primitive("space");
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
            var e = it.next();
            String value = visit(e.getValue(), path + ".properties." + e.getKey(), hint + "-" + e.getKey());
            kv.add(jsonLiteral(JSON.getNodeFactory().textNode(e.getKey())) + " space \":\" space " + value);
            mandatory.add(required.contains(e.getKey()));
        }
        // first[i]: properties i.. when none was written yet; after[i]: when one was (so each needs a comma).
        int n = kv.size();
        String[] first = new String[n + 1], after = new String[n + 1];
        first[n] = after[n] = "";
        for (int i = n - 1; i >= 0; i--) {
            String restAfter = after[i + 1].isEmpty() ? "" : " " + after[i + 1];
            String a = mandatory.get(i) ? "\",\" space " + kv.get(i) + restAfter : "(\",\" space " + kv.get(i) + ")?" + restAfter;
            after[i] = define(hint + "-after-" + i, a);
            String f = mandatory.get(i) ? kv.get(i) + restAfter
                    : first[i + 1].isEmpty() ? "(" + kv.get(i) + restAfter + ")?" : kv.get(i) + restAfter + " | " + first[i + 1];
            first[i] = define(hint + "-from-" + i, f);
        }
        return define(hint, "\"{\" space " + first[0] + " \"}\" space");
    }

    private String ref(JsonNode ref, String path) {
        if (!ref.isTextual()) throw bad(path, "must be a string such as \"#/$defs/Name\"");
        String r = ref.asText();
        String existing = refRules.get(r);
        if (existing != null) return existing;
        JsonNode target;
        if (r.equals("#")) {
            target = root;
        } else if (r.startsWith("#/")) {
            target = root;
            for (String part : r.substring(2).split("/")) {
                target = target == null ? null : target.get(part.replace("~1", "/").replace("~0", "~"));
            }
        } else {
            throw bad(path, "'" + r + "' is not supported: only references within the schema (#, #/$defs/...) are");
        }
        if (target == null) throw bad(path, "'" + r + "' points at nothing in the schema");
        String name = fresh("ref-" + r.substring(r.lastIndexOf('/') + 1));
        refRules.put(r, name);
        // A rule of its own that refers to the target's rule, so recursion through the reference terminates.
        String body = visit(target, path + "→" + r, name + "-body");
        rules.put(name, body);
        return name;
    }

    private static int count(JsonNode s, String key, String path, int absent) {
        JsonNode v = s.get(key);
        if (v == null) return absent;
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > Gbnf.MAX_REPEAT) {
            throw bad(path + "." + key, "must be an integer from 0 to " + Gbnf.MAX_REPEAT);
        }
        return v.asInt();
    }

    /** A GBNF literal of the compact JSON text of {@code value}. */
    private static String jsonLiteral(JsonNode value) {
        try {
            return literal(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static IllegalArgumentException bad(String path, String message) {
        return new IllegalArgumentException(path + " " + message);
    }
}
