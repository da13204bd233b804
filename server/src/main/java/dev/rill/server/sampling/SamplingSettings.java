package dev.rill.server.sampling;

import dev.rill.plugin.PluginRegistry;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The server's sampler chain and default parameters (from configuration), and how a request's
 * sampling fields turn into a {@link SamplerChain}.
 *
 * <p>Rules:
 * <ul>
 *   <li>A request that names its own chain gets exactly that chain; every parameter it sends must
 *       belong to a step of that chain. Configured parameters apply to the steps that declare them.</li>
 *   <li>A request that names no chain gets the configured chain. If it sends a parameter no step of
 *       that chain declares (say {@code top_k} while the chain is {@code temperature,dist}), the sampler
 *       that declares it is inserted at its place in llama.cpp's order ({@link #ORDER}), so OpenAI-style
 *       fields always work. A parameter no registered sampler declares is an error.</li>
 * </ul>
 */
public final class SamplingSettings {

    /**
     * Where inserted samplers go: llama.cpp's default order, with the logit bias first, and before it the
     * grammar (constrained sampling must see every token, or a filter could leave none that fits).
     */
    public static final List<String> ORDER =
            List.of("grammar", "logit-bias", "penalties", "top-k", "typical", "top-p", "min-p", "temperature");

    private final PluginRegistry registry;
    private final List<String> chain;
    private final Map<String, Object> defaults;

    /**
     * @throws IllegalArgumentException when the configured chain or parameters are invalid (checked now,
     *                                  so a bad configuration fails at start-up)
     */
    public SamplingSettings(PluginRegistry registry, List<String> chain, Map<String, String> defaults) {
        this.registry = registry;
        this.chain = chain == null || chain.isEmpty() ? SamplerChain.DEFAULT : List.copyOf(chain);
        this.defaults = new LinkedHashMap<>();
        if (defaults != null) defaults.forEach((k, v) -> this.defaults.put(normalize(k), v));
        Set<String> known = SamplerChain.knownParameters(registry).keySet();
        for (String key : this.defaults.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("rill.sampling.params: unknown sampling parameter '" + key
                        + "'; the registered samplers accept: " + String.join(", ", known));
            }
        }
        resolve(null, Map.of());
    }

    /** Parameter names in configuration may use '-' or '.' where the samplers write '_' (env vars cannot keep '_' apart). */
    static String normalize(String key) {
        return key.trim().replace('-', '_').replace('.', '_');
    }

    public List<String> chain() {
        return chain;
    }

    public Map<String, Object> defaults() {
        return Map.copyOf(defaults);
    }

    /**
     * The chain for one request.
     *
     * @param requestChain sampler names the request gave, or {@code null}
     * @param requested    parameters the request gave (name → value)
     * @throws IllegalArgumentException (or {@link dev.rill.plugin.PluginException} for an unknown sampler)
     *                                  with a message naming the parameter and what is accepted
     */
    public SamplerChain resolve(List<String> requestChain, Map<String, ?> requested) {
        Map<String, ?> req = requested == null ? Map.of() : requested;
        List<String> names = requestChain != null ? requestChain : extended(req.keySet());
        // Configured values apply to the steps that declare them; requested ones must fit the chain.
        return SamplerChain.of(registry, names, defaults, req);
    }

    /** The configured chain with a sampler inserted for each requested parameter it lacks. */
    private List<String> extended(Set<String> requested) {
        List<String> names = new ArrayList<>(chain);
        Set<String> accepted = declaredBy(names);
        for (String param : requested) {
            if (accepted.contains(param)) continue;
            String owner = owner(param);
            // Unknown names, and parameters of a final draw (which would replace the chain's), are left
            // for SamplerChain.of to report with the list of accepted names.
            if (owner == null || registry.get(Sampler.class, owner).selects()) continue;
            insert(names, owner);
            accepted = declaredBy(names);
        }
        return names;
    }

    static void insert(List<String> names, String sampler) {
        int rank = ORDER.indexOf(sampler);
        int at = names.size();
        // Before the first step that comes later in ORDER, else before a final selecting step.
        for (int i = 0; i < names.size(); i++) {
            int r = ORDER.indexOf(names.get(i).trim());
            if (rank >= 0 && r > rank) {
                at = i;
                break;
            }
            if (r < 0 && i == names.size() - 1) at = i;
        }
        names.add(at, sampler);
    }

    /** The sampler declaring {@code param}, preferring those in {@link #ORDER}. */
    private String owner(String param) {
        String found = null;
        for (Sampler s : registry.all(Sampler.class)) {
            for (ParamSpec p : s.parameters()) {
                if (!p.name().equals(param)) continue;
                if (ORDER.contains(s.name())) return s.name();
                if (found == null) found = s.name();
            }
        }
        return found;
    }

    private Set<String> declaredBy(List<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String n : names) {
            Sampler s = registry.get(Sampler.class, n.trim());
            for (ParamSpec p : s.parameters()) out.add(p.name());
        }
        // The chain appends a draw when its last step does not select.
        if (!names.isEmpty() && !registry.get(Sampler.class, names.getLast().trim()).selects()) {
            for (ParamSpec p : registry.get(Sampler.class, "dist").parameters()) out.add(p.name());
        }
        return out;
    }
}
