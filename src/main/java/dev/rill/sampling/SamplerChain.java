package dev.rill.sampling;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Params;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * A chain of sampler steps resolved by name, with one flat map of parameters shared by the chain
 * (each step takes the parameters it declares). If the last step does not select a token, a
 * seeded categorical draw ({@code dist}) is appended.
 */
public final class SamplerChain {

    /** Rill's default chain. */
    public static final List<String> DEFAULT = List.of("temperature", "dist");

    private final List<Sampler> steps;
    private final List<Params> params;

    private SamplerChain(List<Sampler> steps, List<Params> params) {
        this.steps = steps;
        this.params = params;
    }

    /**
     * Resolves {@code names} through the registry and validates {@code values}.
     *
     * @throws IllegalArgumentException on an unknown parameter (listing those the chain accepts) or a bad value
     * @throws dev.rill.plugin.PluginException on an unknown sampler name
     */
    public static SamplerChain of(PluginRegistry registry, List<String> names, Map<String, ?> values) {
        if (names == null || names.isEmpty()) throw new IllegalArgumentException("the sampler chain is empty; name at least one sampler");
        List<Sampler> steps = new ArrayList<>();
        for (String n : names) steps.add(registry.get(Sampler.class, n.trim()));
        for (int i = 0; i < steps.size() - 1; i++) {
            if (steps.get(i).selects()) {
                throw new IllegalArgumentException("sampler '" + steps.get(i).name() + "' picks the token, so it must come last in the chain");
            }
        }
        if (!steps.getLast().selects()) steps.add(registry.get(Sampler.class, "dist"));
        Map<String, Object> given = values == null ? Map.of() : new HashMap<>(values);
        TreeSet<String> accepted = new TreeSet<>();
        for (Sampler s : steps) for (ParamSpec p : s.parameters()) accepted.add(p.name());
        for (String key : given.keySet()) {
            if (!accepted.contains(key)) {
                throw new IllegalArgumentException("unknown sampling parameter '" + key + "'; the chain "
                        + steps.stream().map(Sampler::name).toList() + " accepts: "
                        + (accepted.isEmpty() ? "none" : String.join(", ", accepted)));
            }
        }
        List<Params> params = new ArrayList<>();
        for (Sampler s : steps) {
            Map<String, Object> mine = new LinkedHashMap<>();
            for (ParamSpec p : s.parameters()) if (given.containsKey(p.name())) mine.put(p.name(), given.get(p.name()));
            params.add(s.params(mine));
        }
        return new SamplerChain(List.copyOf(steps), List.copyOf(params));
    }

    public List<String> names() {
        return steps.stream().map(Sampler::name).toList();
    }

    /** A fresh per-request sampling state: candidates buffer, random source, scratch map. */
    public State newState(int nVocab, RandomGenerator random) {
        return new State(nVocab, random);
    }

    /** Picks the next token from {@code logits} given the tokens so far. */
    public int sample(float[] logits, int[] history, int historyLength, State state) {
        Candidates c = state.candidates.reset(logits, state.nVocab);
        state.history = history;
        state.historyLength = historyLength;
        for (int i = 0; i < steps.size(); i++) {
            state.params = params.get(i);
            steps.get(i).apply(c, state);
            if (c.selected() >= 0) return c.selected();
            if (c.size == 0) throw new IllegalStateException("sampler '" + steps.get(i).name() + "' removed every candidate token");
        }
        throw new IllegalStateException("no sampler in " + names() + " selected a token");
    }

    /** Per-request state handed to each step as its {@link SamplingContext}. */
    public static final class State implements SamplingContext {
        final int nVocab;
        final Candidates candidates;
        final RandomGenerator random;
        final Map<String, Object> scratch = new HashMap<>();
        Params params;
        int[] history;
        int historyLength;

        State(int nVocab, RandomGenerator random) {
            this.nVocab = nVocab;
            this.candidates = new Candidates(nVocab);
            this.random = random;
        }

        @Override
        public Params params() {
            return params;
        }

        @Override
        public int[] history() {
            return history;
        }

        @Override
        public int historyLength() {
            return historyLength;
        }

        @Override
        public RandomGenerator random() {
            return random;
        }

        @Override
        public Map<String, Object> state() {
            return scratch;
        }
    }
}
