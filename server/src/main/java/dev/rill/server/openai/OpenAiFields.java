package dev.rill.server.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.server.api.ApiException;
import dev.rill.spi.ParamSpec;

import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * No field of an OpenAI request is silently ignored: each top-level field is one Rill reads (the
 * request record's, or a sampling parameter an installed sampler declares), or it is refused with a
 * 400 naming it — with the reason for OpenAI fields Rill knows and does not do, and the accepted
 * list for anything else. A few OpenAI fields are accepted at their no-op values ({@code store:
 * false}, {@code modalities: ["text"]}, {@code service_tier: "auto"|"default"}).
 */
final class OpenAiFields {

    /** OpenAI fields Rill knows and does not support, with why. */
    private static final Map<String, String> REFUSED = Map.ofEntries(
            Map.entry("audio", "audio output is not supported: Rill's models write text"),
            Map.entry("prediction", "predicted outputs are not supported"),
            Map.entry("web_search_options", "web search is not supported"),
            Map.entry("reasoning_effort", "reasoning effort is not supported"),
            Map.entry("verbosity", "verbosity is not supported"),
            Map.entry("metadata", "metadata is only kept with store, which Rill does not do"),
            Map.entry("functions", "functions is the deprecated form of tools; send tools"),
            Map.entry("function_call", "function_call is the deprecated form of tool_choice; send tool_choice"),
            Map.entry("prompt_cache_key", "prompt_cache_key is not supported"),
            Map.entry("safety_identifier", "safety_identifier is not supported"),
            Map.entry("logit_bias_type", "logit_bias_type is not supported"));

    private OpenAiFields() {
    }

    /**
     * @param record the request record (its JSON field names are read)
     * @throws ApiException naming the first field that is refused
     */
    static void check(JsonNode tree, Class<? extends Record> record, Collection<ParamSpec> samplingParameters) {
        Set<String> accepted = new TreeSet<>();
        for (RecordComponent c : record.getRecordComponents()) {
            JsonProperty p;
            try {
                p = record.getDeclaredField(c.getName()).getAnnotation(JsonProperty.class);   // the component's field carries it
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException(e);
            }
            accepted.add(p != null ? p.value() : c.getName());
        }
        for (ParamSpec p : samplingParameters) {
            accepted.add(p.name());
            accepted.addAll(p.aliases());
        }
        for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            JsonNode v = tree.get(f);
            if (accepted.contains(f) || v.isNull() || noOp(f, v)) continue;
            String why = REFUSED.get(f);
            if (f.equals("store")) why = "store: true is not supported: Rill keeps no completions";
            if (f.equals("modalities")) why = "modalities other than [\"text\"] are not supported: Rill's models write text";
            if (f.equals("service_tier")) why = "service_tier must be \"auto\" or \"default\": Rill has one tier";
            throw ApiException.invalid(f, why != null ? why : "unknown field '" + f + "'; accepted: " + String.join(", ", accepted));
        }
    }

    /** OpenAI fields accepted at values that ask for nothing Rill would have to do. */
    private static boolean noOp(String field, JsonNode v) {
        return switch (field) {
            case "store" -> v.isBoolean() && !v.asBoolean();
            case "modalities" -> v.isArray() && v.size() == 1 && "text".equals(v.get(0).asText());
            case "service_tier" -> v.isTextual() && (v.asText().equals("auto") || v.asText().equals("default"));
            default -> false;
        };
    }
}
