package dev.rill.server.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;

import java.lang.reflect.Type;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads request JSON with types checked strictly ({@code "5"} is not a number, {@code 1.5} is not an
 * integer, {@code 7} is not a string) and turns every failure into an {@link ApiException} that names
 * the field, e.g. {@code messages[1].content}.
 */
public final class JsonInput {

    /**
     * How deep a request may nest: Rill's deepest field is three levels down
     * ({@code messages[i].content[j].text}); Jackson's own limit (1,000) is far beyond any request and
     * its failure carries no location.
     */
    public static final int MAX_DEPTH = 64;
    /** Digits in one number: a 64-bit integer has 19, a double needs 17 significant ones. */
    public static final int MAX_NUMBER_LENGTH = 64;
    /** Characters in one string: nothing longer fits a request body anyway. */
    public static final int MAX_STRING_LENGTH = 4 << 20;

    /** Unknown fields are errors (the WebSocket protocol: a typo should not pass silently). */
    public static final ObjectMapper STRICT = mapper(true);
    /** Unknown fields are ignored (OpenAI clients send fields Rill has no use for). */
    public static final ObjectMapper LENIENT = mapper(false);

    private JsonInput() {
    }

    private static ObjectMapper mapper(boolean failOnUnknown) {
        JsonFactory json = JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_DEPTH).maxNumberLength(MAX_NUMBER_LENGTH).maxStringLength(MAX_STRING_LENGTH).build()).build();
        JsonMapper m = JsonMapper.builder(json)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, failOnUnknown)
                .build();
        for (CoercionInputShape shape : List.of(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean)) {
            m.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        m.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Float).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        return m;
    }

    /** Parses a JSON object, within {@link #MAX_DEPTH} levels and {@link #MAX_NUMBER_LENGTH}-digit numbers. */
    public static JsonNode parseObject(String text) {
        JsonNode node;
        try {
            node = STRICT.readTree(text);
        } catch (StreamConstraintsException e) {
            throw new ApiException(400, "invalid_json", null, "the message is " + exceeded(e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "invalid_json", null, "the message is not valid JSON: " + plain(e.getOriginalMessage()) + at(e));
        }
        if (node == null || !node.isObject()) {
            throw new ApiException(400, "invalid_json", null, "expected a JSON object, got " + (node == null ? "nothing" : kind(node)));
        }
        return node;
    }

    /** Which limit a document broke, in words (Jackson's message names its own methods). */
    private static String exceeded(String message) {
        String m = message == null ? "" : message;
        if (m.contains("nesting depth")) return "nested more than " + MAX_DEPTH + " levels deep; at most " + MAX_DEPTH + " are accepted";
        if (m.contains("Number value length")) return "holding a number of more than " + MAX_NUMBER_LENGTH + " characters; at most "
                + MAX_NUMBER_LENGTH + " are accepted";
        if (m.contains("String value length")) return "holding a string of more than " + MAX_STRING_LENGTH + " characters; at most "
                + MAX_STRING_LENGTH + " are accepted";
        return "over the JSON limits: nesting at most " + MAX_DEPTH + " levels, numbers of at most " + MAX_NUMBER_LENGTH + " characters";
    }

    private static String at(JsonProcessingException e) {
        JsonLocation l = e.getLocation();
        return l == null ? "" : " (line " + l.getLineNr() + ", column " + l.getColumnNr() + ")";
    }

    /** A Jackson message without the Java types it names ({@code `java.lang.Integer`} becomes {@code integer}). */
    static String plain(String message) {
        if (message == null) return "";
        Matcher m = QUALIFIED.matcher(message);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(m.group(2).toLowerCase(java.util.Locale.ROOT)));
        return m.appendTail(sb).toString();
    }

    private static final Pattern QUALIFIED = Pattern.compile("`?\\b((?:[a-z][a-z0-9_]*\\.)+)([A-Z][A-Za-z0-9_$]*)(?:\\[\\])?`?");

    /** Binds a parsed object to {@code type}, reporting the first field that does not fit. */
    public static <T> T bind(ObjectMapper mapper, JsonNode node, Class<T> type) {
        try {
            return mapper.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw describe(e);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(null, e.getMessage());
        }
    }

    /** Turns a Jackson failure into an error naming the field. */
    public static ApiException describe(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            String field = path(u.getPath());
            Collection<Object> known = u.getKnownPropertyIds();
            String accepted = known == null ? "" : "; accepted: " + known.stream().map(Object::toString)
                    .collect(Collectors.toCollection(TreeSet::new)).stream().collect(Collectors.joining(", "));
            return ApiException.invalid(field, "unknown field '" + field + "'" + accepted);
        }
        if (e instanceof MismatchedInputException m) {
            String field = path(m.getPath());
            String got = m instanceof InvalidFormatException f ? " (got " + quote(f.getValue()) + ")" : "";
            return ApiException.invalid(field.isEmpty() ? null : field,
                    (field.isEmpty() ? "the message" : "field '" + field + "'") + " must be " + expected(m.getTargetType()) + got);
        }
        if (e instanceof JsonMappingException m && m.getCause() instanceof IllegalArgumentException iae) {
            String field = path(m.getPath());
            return ApiException.invalid(field.isEmpty() ? null : field, (field.isEmpty() ? "" : "field '" + field + "': ") + iae.getMessage());
        }
        return ApiException.invalid(null, "the message does not fit the protocol: " + plain(e.getOriginalMessage()));
    }

    private static String quote(Object v) {
        return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    }

    static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (!sb.isEmpty()) sb.append('.');
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String expected(Type t) {
        if (!(t instanceof Class<?> c)) return "of another type";
        if (c == Integer.class || c == int.class || c == Long.class || c == long.class) return "an integer";
        if (c == Double.class || c == double.class || c == Float.class || c == float.class) return "a number";
        if (c == Boolean.class || c == boolean.class) return "true or false";
        if (c == String.class) return "a string";
        if (List.class.isAssignableFrom(c) || c.isArray()) return "an array";
        if (Map.class.isAssignableFrom(c) || c.isRecord()) return "an object";
        return "of type " + c.getSimpleName();
    }

    /** "an object", "a string", ... for messages. */
    public static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case OBJECT, POJO -> "an object";
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL, MISSING -> "null";
            case BINARY -> "binary data";
        };
    }
}
