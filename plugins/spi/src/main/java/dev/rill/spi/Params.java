package dev.rill.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/** Parameter values checked against a provider's {@link ParamSpec}s, with defaults filled in. */
public final class Params {

    private final Map<String, Object> values;

    private Params(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    public static final Params EMPTY = new Params(Map.of());

    /**
     * Validates {@code given} against the provider's parameters.
     *
     * @throws ParamException on an unknown name (listing the accepted ones) or a bad value, naming the parameter
     */
    public static Params resolve(Plugin plugin, Map<String, ?> given) {
        Map<String, ParamSpec> specs = new LinkedHashMap<>();
        for (ParamSpec s : plugin.parameters()) specs.put(s.name(), s);
        if (given != null) {
            for (String key : given.keySet()) {
                if (!specs.containsKey(key)) {
                    throw new ParamException(key, "'" + plugin.name() + "' has no parameter '" + key + "'; "
                            + (specs.isEmpty() ? "it takes none" : "accepted: " + String.join(", ", new TreeSet<>(specs.keySet()))));
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (ParamSpec s : specs.values()) {
            Object v = given == null ? null : given.get(s.name());
            try {
                out.put(s.name(), s.validate(v));
            } catch (IllegalArgumentException e) {
                throw new ParamException(s.name(), "'" + plugin.name() + "' " + e.getMessage(), e);
            }
        }
        return new Params(out);
    }

    public Map<String, Object> asMap() {
        return values;
    }

    public boolean has(String name) {
        return values.get(name) != null;
    }

    public int getInt(String name) {
        return ((Number) require(name)).intValue();
    }

    public double getDouble(String name) {
        return ((Number) require(name)).doubleValue();
    }

    public float getFloat(String name) {
        return ((Number) require(name)).floatValue();
    }

    public boolean getBool(String name) {
        return (Boolean) require(name);
    }

    public String getString(String name) {
        Object v = values.get(name);
        return v == null ? null : v.toString();
    }

    private Object require(String name) {
        Object v = values.get(name);
        if (v == null) throw new IllegalArgumentException("parameter '" + name + "' has no value");
        return v;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
