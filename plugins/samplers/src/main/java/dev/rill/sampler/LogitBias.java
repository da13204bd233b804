package dev.rill.sampler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.spi.Candidates;
import dev.rill.spi.ParamException;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Params;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Adds a per-token bias to the logits; a bias of {@code -inf} bans the token. The parameter
 * {@code logit_bias} is a JSON object from token id to bias, as in the OpenAI API
 * ({@code {"50256": -100, "198": 2.5}}), where a bias is a number in [-100, 100] or the string
 * {@code "-inf"} ({@code false} is read as {@code "-inf"}, as llama.cpp does). It may be given as
 * JSON text or as an already parsed {@link Map}; either way it is checked when the chain is built
 * and stored as canonical JSON text (ids ascending).
 */
public final class LogitBias implements Sampler {

    static final double MAX_BIAS = 100;
    private static final String PARAM = "logit_bias";
    private static final String CACHE = "logit-bias.parsed";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final ParamSpec SPEC = ParamSpec.string(PARAM, null,
            "JSON object token id -> bias in [-100, 100] or \"-inf\" (bans the token), e.g. {\"50256\": \"-inf\", \"198\": 2.5}");

    /** Parsed biases: ids ascending, with the canonical text they came from. */
    record Biases(String json, int[] ids, float[] values) {
    }

    @Override
    public String name() {
        return "logit-bias";
    }

    @Override
    public String description() {
        return "add a per-token bias to the logits (logit_bias: {\"id\": bias}); -inf bans a token";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(SPEC);
    }

    /** Parses and checks {@code logit_bias} now, so a bad value fails when the chain is built. */
    @Override
    public Params params(Map<String, ?> given) {
        if (given == null || given.get(PARAM) == null) return Params.resolve(this, given);
        Map<String, Object> canonical = new LinkedHashMap<>(given);
        canonical.put(PARAM, parse(given.get(PARAM)).json());
        return Params.resolve(this, canonical);
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        String json = ctx.params().getString(PARAM);
        if (json == null) return;
        Biases biases = (Biases) ctx.state().get(CACHE);
        if (biases == null || !biases.json().equals(json)) {
            biases = parse(json);
            ctx.state().put(CACHE, biases);
        }
        int[] ids = biases.ids();
        if (ids.length == 0) return;
        int nVocab = c.capacity();
        if (ids[ids.length - 1] >= nVocab) {
            throw new ParamException(PARAM, "parameter 'logit_bias': token id " + ids[ids.length - 1]
                    + " is outside the vocabulary of " + nVocab + " tokens (ids 0.." + (nVocab - 1) + ")");
        }
        float[] values = biases.values();
        Map<Integer, Float> missed = null;
        // At the start of a chain token id = position; otherwise one scan finds the rest.
        for (int j = 0; j < ids.length; j++) {
            int id = ids[j];
            if (id < c.size && c.ids[id] == id) {
                bias(c, id, values[j]);
            } else {
                if (missed == null) missed = new HashMap<>();
                missed.put(id, values[j]);
            }
        }
        if (missed != null) {
            for (int i = 0; i < c.size && !missed.isEmpty(); i++) {
                Float b = missed.remove(c.ids[i]);
                if (b != null) bias(c, i, b);
            }
        }
        c.sorted = false;
    }

    private static void bias(Candidates c, int i, float bias) {
        c.logits[i] = bias == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY : c.logits[i] + bias;
    }

    /** Reads JSON text or a map into sorted ids and biases. */
    static Biases parse(Object value) {
        Map<Integer, Float> byId = new TreeMap<>();
        if (value instanceof Map<?, ?> map) {
            for (var e : map.entrySet()) put(byId, e.getKey(), e.getValue());
        } else {
            JsonNode node;
            try {
                node = JSON.readTree(value.toString());
            } catch (JsonProcessingException e) {
                throw bad("is not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (node == null || !node.isObject()) throw bad("must be a JSON object of token id -> bias, got " + value);
            for (var e : node.properties()) put(byId, e.getKey(), e.getValue());
        }
        int[] ids = new int[byId.size()];
        float[] values = new float[byId.size()];
        List<String> parts = new ArrayList<>();
        int j = 0;
        for (var e : byId.entrySet()) {
            ids[j] = e.getKey();
            values[j] = e.getValue();
            parts.add("\"" + ids[j] + "\":" + (values[j] == Float.NEGATIVE_INFINITY ? "\"-inf\"" : Float.toString(values[j])));
            j++;
        }
        return new Biases("{" + String.join(",", parts) + "}", ids, values);
    }

    private static void put(Map<Integer, Float> byId, Object key, Object value) {
        int id;
        try {
            id = Integer.parseInt(String.valueOf(key).trim());
        } catch (NumberFormatException e) {
            throw bad("key '" + key + "' is not a token id (a non-negative integer)");
        }
        if (id < 0) throw bad("key '" + key + "' is not a token id (a non-negative integer)");
        if (byId.put(id, biasOf(id, value)) != null) throw bad("token id " + id + " is given twice");
    }

    private static float biasOf(int id, Object value) {
        if (value instanceof JsonNode n) {
            if (n.isNumber()) value = n.doubleValue();
            else if (n.isBoolean()) value = n.booleanValue();
            else if (n.isTextual()) value = n.textValue();
            else value = n.toString();
        }
        if (Boolean.FALSE.equals(value)) return Float.NEGATIVE_INFINITY;
        if (value instanceof String s) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (t.equals("-inf") || t.equals("-infinity")) return Float.NEGATIVE_INFINITY;
            try {
                value = Double.parseDouble(t);
            } catch (NumberFormatException e) {
                throw badBias(id, s);
            }
        }
        if (value instanceof Number num) {
            double d = num.doubleValue();
            if (d == Double.NEGATIVE_INFINITY) return Float.NEGATIVE_INFINITY;
            if (!(Math.abs(d) <= MAX_BIAS)) throw badBias(id, value);
            return (float) d;
        }
        throw badBias(id, value);
    }

    private static ParamException badBias(int id, Object value) {
        return bad("the bias for token " + id + " is " + value + "; expected a number in [-100, 100] or \"-inf\" (bans the token)");
    }

    private static ParamException bad(String what) {
        return new ParamException(PARAM, "'logit-bias' parameter 'logit_bias' " + what);
    }
}
