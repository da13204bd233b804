package dev.rill.sampler.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JSON Schema to grammar: which documents each schema's grammar accepts, and the keywords it refuses. */
class JsonGrammarTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static Matcher schema(String json) throws Exception {
        JsonNode s = JSON.readTree(json);
        return new Matcher(Grammar.parse(JsonGrammar.of(s)));
    }

    @Test
    void requiredPropertiesInOrderOptionalOnesMayBeLeftOut() throws Exception {
        Matcher m = schema("""
                {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},
                 "required":["b"],"additionalProperties":false}""");
        assertTrue(m.matches("{\"b\":\"x\"}"));
        assertTrue(m.matches("{\"a\":1,\"b\":\"x\",\"c\":true}"));
        assertTrue(m.matches("{\"a\": -12, \"b\": \"\"}"));
        assertTrue(m.matches("{\"b\":\"x\", \"c\":false}"));
        assertFalse(m.matches("{}"), "b is required");
        assertFalse(m.matches("{\"a\":1}"));
        assertFalse(m.matches("{\"b\":\"x\",\"a\":1}"), "the schema's order");
        assertFalse(m.matches("{\"a\":1.5,\"b\":\"x\"}"), "a is an integer");
        assertFalse(m.matches("{\"b\":\"x\",}"));
        assertFalse(m.matches("{,\"b\":\"x\"}"));
        assertFalse(m.matches("{\"b\":\"x\",\"d\":1}"));
    }

    @Test
    void allOptionalPropertiesAllowAnEmptyObject() throws Exception {
        Matcher m = schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"null\"},\"b\":{\"type\":\"null\"}}}");
        assertTrue(m.matches("{}"));
        assertTrue(m.matches("{\"b\":null}"));
        assertTrue(m.matches("{\"a\":null,\"b\":null}"));
        assertFalse(m.matches("{\"a\":null,}"));
    }

    @Test
    void arraysEnumsConstAnyOfAndTypeLists() throws Exception {
        Matcher arr = schema("{\"type\":\"array\",\"items\":{\"type\":\"number\"},\"minItems\":1,\"maxItems\":3}");
        assertTrue(arr.matches("[1]"));
        assertTrue(arr.matches("[1, 2.5e-3, -0.5]"));
        assertFalse(arr.matches("[]"));
        assertFalse(arr.matches("[1,2,3,4]"));
        Matcher e = schema("{\"enum\":[\"red\",\"gr\\\"een\",1,null,{\"k\":[true]}]}");
        assertTrue(e.matches("\"red\""));
        assertTrue(e.matches("\"gr\\\"een\""));
        assertTrue(e.matches("{\"k\":[true]}"));
        assertTrue(e.matches("null"));
        assertFalse(e.matches("\"blue\""));
        Matcher any = schema("{\"anyOf\":[{\"type\":\"string\",\"maxLength\":2},{\"const\":42}]}");
        assertTrue(any.matches("\"ab\""));
        assertTrue(any.matches("42"));
        assertFalse(any.matches("\"abc\""));
        assertFalse(any.matches("43"));
        Matcher types = schema("{\"type\":[\"integer\",\"null\"]}");
        assertTrue(types.matches("7"));
        assertTrue(types.matches("null"));
        assertFalse(types.matches("\"7\""));
        Matcher anything = schema("{}");
        assertTrue(anything.matches("[{\"x\": [1, \"y\", null]}]"));
    }

    @Test
    void recursiveReferences() throws Exception {
        Matcher tree = schema("""
                {"$defs":{"n":{"type":"object","properties":{"k":{"type":"array","items":{"$ref":"#/$defs/n"}}},
                 "required":["k"],"additionalProperties":false}},"$ref":"#/$defs/n"}""");
        assertTrue(tree.matches("{\"k\":[]}"));
        assertTrue(tree.matches("{\"k\":[{\"k\":[{\"k\":[]}]},{\"k\":[]}]}"));
        assertFalse(tree.matches("{\"k\":[{}]}"));
    }

    @Test
    void stringsEscapesAndWhitespace() throws Exception {
        Matcher s = schema("{\"type\":\"string\"}");
        assertTrue(s.matches("\"tab\\t quote\\\" é \\u00e9 😀\""));
        assertFalse(s.matches("\"raw\ttab\""));
        assertFalse(s.matches("\"bad \\x escape\""));
        Matcher o = schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\"]}");
        assertTrue(o.matches("{\n  \"a\": 1\n}"));
        assertFalse(o.matches("{\n\n  \"a\": 1}"), "no blank lines (a chat stop string)");
    }

    @Test
    void unsupportedOrMalformedKeywordsAreRefusedByPath() {
        assertEquals("schema.properties.age.minimum keyword 'minimum' is not supported by Rill's constrained sampling; supported: "
                        + "$defs, $ref, additionalProperties, anyOf, const, definitions, enum, items, maxItems, maxLength, minItems, minLength, "
                        + "properties, required, type",
                assertThrows(IllegalArgumentException.class, () -> schema(
                        "{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\",\"minimum\":0}}}")).getMessage());
        assertEquals("schema.required names 'x', which is not among the properties",
                assertThrows(IllegalArgumentException.class, () -> schema(
                        "{\"type\":\"object\",\"properties\":{\"a\":{}},\"required\":[\"x\"]}")).getMessage());
        assertEquals("schema.type unknown type 'date'; expected object, array, string, number, integer, boolean or null",
                assertThrows(IllegalArgumentException.class, () -> schema("{\"type\":\"date\"}")).getMessage());
        assertEquals("schema.$ref '#/$defs/missing' points at nothing in the schema",
                assertThrows(IllegalArgumentException.class, () -> schema("{\"$ref\":\"#/$defs/missing\"}")).getMessage());
        assertEquals("schema.$ref 'https://example.com/s.json' is not supported: only references within the schema (#, #/$defs/...) are",
                assertThrows(IllegalArgumentException.class, () -> schema("{\"$ref\":\"https://example.com/s.json\"}")).getMessage());
        assertEquals("schema.anyOf must be a non-empty array of schemas",
                assertThrows(IllegalArgumentException.class, () -> schema("{\"anyOf\":[]}")).getMessage());
        assertEquals("schema.maxItems is below minItems",
                assertThrows(IllegalArgumentException.class, () -> schema("{\"type\":\"array\",\"minItems\":3,\"maxItems\":2}")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> schema("{\"type\":\"string\",\"pattern\":\"^a\"}"))
                .getMessage().startsWith("schema.pattern keyword 'pattern' is not supported"));
    }
}
