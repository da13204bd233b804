package dev.rill.sampler.grammar;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.rill.plugin.PluginRegistry;
import dev.rill.sampler.GrammarSampler;
import dev.rill.sampling.SamplerChain;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The grammar sampler, through the real sampler chain, on random logits: every generated document is
 * valid, checked by independent judges (Jackson's strict parser and networknt's JSON Schema
 * validator for JSON, {@link java.util.regex} for regular grammars). Documents are driven to an end
 * by preferring, after a random stretch, the tokens that leave the fewest characters to write.
 */
class ConstrainedGenerationTest {

    static final PluginRegistry REGISTRY = PluginRegistry.load();
    static final ObjectMapper STRICT = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    /** Any-object mode cannot rule out a repeated key (no context-free grammar can); JSON allows it. */
    static final ObjectMapper LENIENT_KEYS = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    /** One generation: random logits for {@code randomSteps} tokens, then the shortest way to the end. */
    static String generate(TestVocabulary vocab, String grammar, long seed, int randomSteps) {
        SamplerChain chain = SamplerChain.of(REGISTRY, List.of("grammar", "dist"), Map.of("grammar", grammar));
        SamplerChain.State state = chain.newState(vocab, SamplerChain.seededRandom(seed));
        SplittableRandom rnd = new SplittableRandom(seed * 31 + 7);
        int n = vocab.size();
        int[] history = new int[4096];
        history[0] = 0;   // a one-token "prompt"
        int len = 1;
        float[] logits = new float[n];
        Constraint probe = null;
        for (int step = 0; step < 4000; step++) {
            if (probe == null && step >= randomSteps) probe = (Constraint) state.state().get(GrammarSampler.KEY);
            if (step < randomSteps || probe == null) {
                for (int i = 0; i < n; i++) logits[i] = (float) (2.5 * rnd.nextGaussian());
            } else {
                // The grammar step's own constraint knows where the parse stands.
                for (int i = 0; i < n; i++) {
                    int rest = probe.remainingAfter(i);
                    logits[i] = rest == Integer.MAX_VALUE ? -50f : (float) (-3.0 * rest + rnd.nextGaussian());
                }
            }
            int token = chain.sample(logits, history, len, state);
            history[len++] = token;
            if (vocab.ends.contains(token) || chain.ends(history, len, state)) return vocab.text(history, 1, len);
        }
        throw new AssertionError("no end after 4000 tokens: " + vocab.text(history, 1, len));
    }

    static void assertValid(String schemaJson, String doc) throws Exception {
        JsonNode parsed;
        try {
            parsed = (schemaJson != null ? STRICT : LENIENT_KEYS).readTree(doc);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + doc + " (" + e.getMessage() + ")");
        }
        if (schemaJson != null) {
            JsonSchema schema = SCHEMAS.getSchema(schemaJson);
            Set<ValidationMessage> errors = schema.validate(parsed);
            assertTrue(errors.isEmpty(), () -> "invalid for the schema: " + doc + " → " + errors);
        } else {
            assertTrue(parsed.isObject(), () -> "not an object: " + doc);
        }
    }

    static final String PERSON = """
            {"type": "object",
             "properties": {
               "name": {"type": "string", "maxLength": 12},
               "age": {"type": "integer"},
               "height": {"type": ["number", "null"]},
               "tags": {"type": "array", "items": {"enum": ["a", "b\\"c", 3, null, true]}, "maxItems": 4},
               "home": {"anyOf": [
                  {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"const": "12345"}}, "required": ["city", "zip"], "additionalProperties": false},
                  {"type": "boolean"}]},
               "nick": {"type": "string", "minLength": 2, "maxLength": 3}
             },
             "required": ["name", "age", "height", "tags", "home"],
             "additionalProperties": false}""";

    static final String TREE = """
            {"$defs": {"node": {"type": "object",
                "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
                "required": ["v", "kids"], "additionalProperties": false}},
             "$ref": "#/$defs/node"}""";

    @Test
    void randomDocumentsAlwaysMatchTheirSchema() throws Exception {
        TestVocabulary vocab = TestVocabulary.byteLevel();
        int generations = 0;
        for (String schemaJson : List.of(PERSON, TREE, "{\"type\":\"array\",\"items\":{\"type\":\"number\"},\"minItems\":2,\"maxItems\":5}",
                "{\"enum\":[\"日本\",\"😀\",\"é\"]}", "{\"type\":\"string\"}")) {
            String grammar = JsonGrammar.of(STRICT.readTree(schemaJson));
            for (int seed = 0; seed < 200; seed++) {
                assertValid(schemaJson, generate(vocab, grammar, seed, 5 + seed % 60));
                generations++;
            }
        }
        assertEquals(1000, generations);
    }

    @Test
    void randomDocumentsOfJsonObjectModeAreObjects() throws Exception {
        TestVocabulary vocab = TestVocabulary.byteLevel();
        String grammar = JsonGrammar.anyObject();
        for (int seed = 0; seed < 500; seed++) assertValid(null, generate(vocab, grammar, 1000 + seed, seed % 80));
    }

    @Test
    void randomTextOfRegularGrammarsMatchesTheEquivalentRegex() {
        TestVocabulary vocab = TestVocabulary.byteLevel();
        Map<String, String> cases = Map.of(
                "root ::= (\"ab\" | [0-9]{2,3} | \"日本\"+) (\",\" [a-f]+)* \"!\"", "(ab|[0-9]{2,3}|(日本)+)(,[a-f]+)*!",
                "root ::= [^\\x00-\\x1F\"]{1,5} \"\\\"\"", "[^\\x00-\\x1F\"]{1,5}\"",
                "root ::= \"é\" \"😀\"? [\\u0100-\\uFFFF] x\nx ::= \"x\" | \"\"", "é(😀)?[\\x{100}-\\x{FFFF}]x?");
        for (var c : cases.entrySet()) {
            Pattern p = Pattern.compile(c.getValue());
            for (int seed = 0; seed < 200; seed++) {
                String text = generate(vocab, c.getKey(), seed, seed % 30);
                assertTrue(p.matcher(text).matches(), () -> "'" + text + "' does not match " + c.getValue());
            }
        }
    }

    @Test
    void aCharacterVocabularyWithoutEndTokenStopsWhenTheDocumentIsComplete() {
        // The bundled model's alphabet: no braces or quotes, so JSON is limited to literals and numbers of 3s.
        TestVocabulary chars = TestVocabulary.characters("\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
        Pattern play = Pattern.compile("(ROMEO|JULIET): [a-z ]{1,20}[.!?]");
        for (int seed = 0; seed < 200; seed++) {
            String text = generate(chars, "root ::= (\"ROMEO\" | \"JULIET\") \": \" [a-z ]{1,20} [.!?]", seed, seed % 25);
            assertTrue(play.matcher(text).matches(), text);
        }
        for (int seed = 0; seed < 100; seed++) {
            // Without an end token the document ends as soon as it is complete: a number is then one digit.
            String text = generate(chars, JsonGrammar.anyValue().replace("root ::= value", "root ::= boolean | null | number"), seed, seed % 10);
            assertTrue(text.matches("true|false|null|-?3"), text);
        }
    }

    @Test
    void aGrammarTheVocabularyCannotWriteIsRefusedWithWhatItNeeds() {
        TestVocabulary chars = TestVocabulary.characters("abc");
        var e = assertThrows(IllegalArgumentException.class, () -> generate(chars, JsonGrammar.anyObject(), 1, 10));
        assertEquals("no token of the model's vocabulary can continue the grammar here (it expects '{')", e.getMessage());
    }

    @Test
    void aGrammarThatAllowsEverythingLeavesTheDistributionAsItWas() {
        // Single-byte ASCII tokens only (no end token): the grammar allows any text, so the draws must follow softmax(logits).
        List<byte[]> tokens = new java.util.ArrayList<>();
        for (int b = 'a'; b < 'a' + 12; b++) tokens.add(new byte[]{(byte) b});
        TestVocabulary vocab = new TestVocabulary(tokens, Set.of(), Set.of());
        float[] logits = {1.0f, 0.5f, 0.2f, -0.3f, 2.0f, 1.5f, -1.0f, 0.0f, 0.8f, 1.2f, -2f, 0.1f};
        long[] with = draws(vocab, "root ::= [a-z]*", logits, List.of("grammar", "temperature", "dist"));
        long[] without = draws(vocab, "", logits, List.of("grammar", "temperature", "dist"));
        double[] p = new double[logits.length];
        double max = 2.0, sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / 0.7);
        double[] expected = new double[p.length];
        for (int i = 0; i < p.length; i++) expected[i] = p[i] / sum * DRAWS;
        ChiSquareTest chi = new ChiSquareTest();
        assertTrue(chi.chiSquareTest(expected, with) > 0.001, "with the grammar: " + Arrays.toString(with));
        assertTrue(chi.chiSquareTest(expected, without) > 0.001, "without: " + Arrays.toString(without));
        // ... and the test can tell a constrained distribution apart: forbid one likely token.
        long[] constrained = draws(vocab, "root ::= [a-df-z]*", logits, List.of("grammar", "temperature", "dist"));
        assertEquals(0, constrained[4]);
        assertTrue(chi.chiSquareTest(expected, constrained) < 0.001);
    }

    static final int DRAWS = 100_000;

    static long[] draws(TestVocabulary vocab, String grammar, float[] logits, List<String> names) {
        SamplerChain chain = SamplerChain.of(REGISTRY, names, Map.of("grammar", grammar, "temperature", 0.7));
        SamplerChain.State state = chain.newState(vocab, SamplerChain.seededRandom(99));
        long[] counts = new long[logits.length];
        int[] history = new int[DRAWS + 1];
        for (int i = 0; i < DRAWS; i++) {
            int t = chain.sample(logits, history, i, state);
            counts[t]++;
            history[i] = t;
        }
        return counts;
    }

    @Test
    void aDocumentCompletesWithTheEndTokenWhenMoreCouldFollow() {
        // "a"+ could go on, so the model chooses: the end token is allowed once one 'a' is written, never before.
        TestVocabulary vocab = TestVocabulary.byteLevel();
        Constraint c = Constraint.start("root ::= \"a\"+", vocab);
        assertFalse(bit(c.allowed(), 1), "end token before the document is complete");
        c.accept(2 + 'a');
        assertTrue(bit(c.allowed(), 1));
        assertTrue(bit(c.allowed(), 2 + 'a'));
        assertFalse(bit(c.allowed(), 0), "a control token is never text");
        assertFalse(c.finished());
        var e = assertThrows(IllegalStateException.class, () -> c.accept(2 + 'b'));
        assertEquals("token 100 does not fit the grammar here (expected 'a' or the end)", e.getMessage());
    }

    @Test
    void tokensEndingInsideACharacterAreAllowedOnlyWhenItCanBeCompleted() {
        TestVocabulary vocab = TestVocabulary.byteLevel();
        int aRiHead = vocab.size() - 4, riTail = vocab.size() - 3, smileHead = vocab.size() - 2, smileTail = vocab.size() - 1;
        Constraint c = Constraint.start("root ::= \"a日\" \"\\\"\"", vocab);
        long[] m = c.allowed();
        assertTrue(bit(m, aRiHead), "'a' + the first two bytes of 日");
        assertFalse(bit(m, smileHead));
        c.accept(aRiHead);
        m = c.allowed();
        assertTrue(bit(m, riTail));
        assertTrue(bit(m, 2 + ("日".getBytes(java.nio.charset.StandardCharsets.UTF_8)[2] & 0xFF)));
        assertEquals(2, Arrays.stream(m).map(Long::bitCount).sum(), "only the rest of 日: its last byte, or with the quote");
        c.accept(riTail);
        assertTrue(c.finished());
        // A class that leaves no character with that prefix rules the head out.
        Constraint ascii = Constraint.start("root ::= [a-z\\u00e0-\\u00ff]+", vocab);
        assertFalse(bit(ascii.allowed(), smileHead));
        assertFalse(bit(ascii.allowed(), aRiHead));
        assertTrue(bit(ascii.allowed(), 2 + 0xC3), "the lead byte of é");
        Constraint emoji = Constraint.start("root ::= [\\U0001F600-\\U0001F64F] \"x\"", vocab);
        assertTrue(bit(emoji.allowed(), smileHead));
        emoji.accept(smileHead);
        assertTrue(bit(emoji.allowed(), smileTail));
    }

    @Test
    void theTrieWalkAllowsExactlyTheTokensThatReadOneByOne() throws Exception {
        // At every position of random documents, the mask equals reading each token's bytes on its own.
        TestVocabulary vocab = TestVocabulary.byteLevel();
        for (String grammar : List.of(JsonGrammar.of(STRICT.readTree(PERSON)), JsonGrammar.anyObject(),
                "root ::= (\"ab\" | [0-9]{2,3} | \"日本\"+ | [^a-z]) (\",\" [a-f]+)* \"!\"")) {
            for (int seed = 0; seed < 15; seed++) {
                Constraint c = Constraint.start(grammar, vocab);
                SplittableRandom rnd = new SplittableRandom(seed);
                for (int step = 0; step < 60 && !c.finished(); step++) {
                    long[] mask = c.computeAllowed();
                    List<Integer> allowed = new java.util.ArrayList<>();
                    for (int id = 0; id < vocab.size(); id++) {
                        boolean fits = vocab.ends.contains(id) ? c.complete() : c.remainingAfter(id) != Integer.MAX_VALUE;
                        assertEquals(fits, bit(mask, id), "token " + id + " '" + vocab.piece(id) + "' at step " + step);
                        if (fits) allowed.add(id);
                    }
                    int next = allowed.get(rnd.nextInt(allowed.size()));
                    if (vocab.ends.contains(next)) break;
                    c.accept(next);
                }
            }
        }
    }

    static boolean bit(long[] mask, int id) {
        return (mask[id >>> 6] & (1L << id)) != 0;
    }

    @Test
    void aTokenTheGrammarForbidsIsCaughtIfALaterStepPickedIt() {
        TestVocabulary vocab = TestVocabulary.byteLevel();
        SamplerChain chain = SamplerChain.of(REGISTRY, List.of("grammar", "dist"), Map.of("grammar", "root ::= \"x\"+"));
        SamplerChain.State state = chain.newState(vocab, SamplerChain.seededRandom(1));
        float[] logits = new float[vocab.size()];
        int[] history = {0, 2 + 'y'};
        chain.sample(logits, history, 1, state);
        var e = assertThrows(IllegalStateException.class, () -> chain.sample(logits, history, 2, state));
        assertTrue(e.getMessage().contains("does not fit the grammar"), e.getMessage());
    }
}
