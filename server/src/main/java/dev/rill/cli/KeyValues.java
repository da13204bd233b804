package dev.rill.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses repeated {@code key=value} options into a map (values stay strings; plugins parse them). */
final class KeyValues {

    private KeyValues() {
    }

    static Map<String, Object> parse(List<String> pairs, String option) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (pairs == null) return out;
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException(option + " expects key=value, got '" + p + "'");
            out.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
        }
        return out;
    }
}
