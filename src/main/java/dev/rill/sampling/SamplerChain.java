package dev.rill.sampling;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Candidates;
import dev.rill.spi.ParamException;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Params;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;
import dev.rill.spi.Vocabulary;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * A chain of sampler steps resolved by name, with one flat map of parameters shared by the chain
 * (each step takes the parameters it declares, so {@code min_keep} reaches top-p, min-p and typical
 * alike). If the last step does not select a token, a seeded categorical draw ({@code dist}) is
 * appended.
 */
public final class SamplerChain {

    /**
     * Rill's default chain: llama.cpp's order without the samplers Rill does not have (DRY, XTC,
     * top-n-σ), with the logit bias in front. Steps whose parameters are neutral by default
     * ({@code logit_bias} empty, penalties 1/0/0, {@code typical_p} 1) cost nothing, yet a request can
     * turn them on without naming a chain.
     */
    public static final List<String> DEFAULT =
            List.of("logit-bias", "penalties", "top-k", "typical", "top-p", "min-p", "temperature", "dist");

    /** The random algorithm behind {@link #seededRandom}: specified, so a seed gives the same stream on every JDK. */
    public static final String RANDOM_ALGORITHM = "L64X128MixRandom";

    private final List<Sampler> steps;
    private final List<Params> params;
    private final Observer observer;

    private SamplerChain(List<Sampler> steps, List<Params> params, Observer observer) {
        this.steps = steps;
        this.params = params;
        this.observer = observer;
    }

    /**
     * Sees the candidates of each sampling call: once before the first step ({@code step} -1, the
     * model's logits) and after each step ({@code step} = its index in {@link #names()}; after the
     * selecting step {@link Candidates#selected()} holds the draw). For inspection only: it must not
     * change the candidates.
     */
    @FunctionalInterface
    public interface Observer {
        void observe(int step, Candidates candidates);
    }

    /** This chain (same steps and parameters) reporting each sampling call to {@code observer}. */
    public SamplerChain observed(Observer observer) {
        return new SamplerChain(steps, params, observer);
    }

    /**
     * Resolves {@code names} through the registry and validates {@code values} strictly: every
     * parameter must belong to a step of the chain.
     *
     * @throws ParamException on an unknown parameter (listing those the chain accepts) or a bad value, naming it
     * @throws IllegalArgumentException on a chain that is empty or has a selecting step before its end
     * @throws dev.rill.plugin.PluginException on an unknown sampler name
     */
    public static SamplerChain of(PluginRegistry registry, List<String> names, Map<String, ?> values) {
        return of(registry, names, Map.of(), values);
    }

    /**
     * Like {@link #of(PluginRegistry, List, Map)}, with two layers of parameters: {@code configured}
     * (server configuration) applies to the steps that declare each name and is skipped for a chain
     * without such a step, so a request may swap the chain without clashing with configured values;
     * {@code requested} (the request) overrides it and must fit the chain. A name no registered
     * sampler declares is an error in either layer.
     */
    public static SamplerChain of(PluginRegistry registry, List<String> names, Map<String, ?> configured,
                                  Map<String, ?> requested) {
        if (names == null || names.isEmpty()) throw new IllegalArgumentException("the sampler chain is empty; name at least one sampler");
        List<Sampler> steps = new ArrayList<>();
        for (String n : names) {
            if (n == null || n.isBlank()) throw new IllegalArgumentException("the sampler chain " + names + " has an empty name");
            steps.add(registry.get(Sampler.class, n.trim()));
        }
        for (int i = 0; i < steps.size() - 1; i++) {
            if (steps.get(i).selects()) {
                throw new IllegalArgumentException("sampler '" + steps.get(i).name() + "' picks the token, so it must come last in the chain");
            }
        }
        if (!steps.getLast().selects()) steps.add(registry.get(Sampler.class, "dist"));

        TreeSet<String> accepted = new TreeSet<>();
        for (Sampler s : steps) for (ParamSpec p : s.parameters()) accepted.add(p.name());
        Map<String, String> owners = owners(registry);
        Map<String, Object> given = new HashMap<>();
        if (configured != null) {
            for (var e : configured.entrySet()) {
                if (accepted.contains(e.getKey())) given.put(e.getKey(), e.getValue());
                else if (!owners.containsKey(e.getKey())) throw unknown(e.getKey(), steps, accepted, owners);
            }
        }
        if (requested != null) {
            for (var e : requested.entrySet()) {
                if (!accepted.contains(e.getKey())) throw unknown(e.getKey(), steps, accepted, owners);
                given.put(e.getKey(), e.getValue());
            }
        }
        List<Params> params = new ArrayList<>();
        for (Sampler s : steps) {
            Map<String, Object> mine = new LinkedHashMap<>();
            for (ParamSpec p : s.parameters()) if (given.containsKey(p.name())) mine.put(p.name(), given.get(p.name()));
            params.add(s.params(mine));
        }
        return new SamplerChain(List.copyOf(steps), List.copyOf(params), null);
    }

    /** Parameter name → the samplers that declare it, over every registered sampler. */
    private static Map<String, String> owners(PluginRegistry registry) {
        Map<String, String> owners = new TreeMap<>();
        for (Sampler s : registry.all(Sampler.class)) {
            for (ParamSpec p : s.parameters()) owners.merge(p.name(), s.name(), (a, b) -> a + ", " + b);
        }
        return owners;
    }

    private static ParamException unknown(String key, List<Sampler> steps, TreeSet<String> accepted,
                                          Map<String, String> owners) {
        String chain = String.join(",", steps.stream().map(Sampler::name).toList());
        String accepts = "the chain " + chain + " accepts: " + (accepted.isEmpty() ? "none" : String.join(", ", accepted));
        if (owners.containsKey(key)) {
            return new ParamException(key, "sampling parameter '" + key + "' belongs to sampler(s) " + owners.get(key)
                    + ", which the chain " + chain + " does not include; add one to the chain, or drop the parameter ("
                    + accepts + ")");
        }
        return new ParamException(key, "unknown sampling parameter '" + key + "'; " + accepts
                + "; all sampling parameters: " + String.join(", ", owners.keySet()));
    }

    /** Every sampling parameter any registered sampler declares, by name (the first declaration wins). */
    public static Map<String, ParamSpec> knownParameters(PluginRegistry registry) {
        Map<String, ParamSpec> out = new TreeMap<>();
        for (Sampler s : registry.all(Sampler.class)) for (ParamSpec p : s.parameters()) out.putIfAbsent(p.name(), p);
        return out;
    }

    /** A random source for one request: seeded with {@code seed}, reproducible on every JDK. */
    public static RandomGenerator seededRandom(long seed) {
        return RandomGeneratorFactory.of(RANDOM_ALGORITHM).create(seed);
    }

    public List<String> names() {
        return steps.stream().map(Sampler::name).toList();
    }

    /** The parameter values in effect (given or default), flat, as the chain's steps see them. */
    public Map<String, Object> parameters() {
        Map<String, Object> out = new TreeMap<>();
        for (Params p : params) {
            for (var e : p.asMap().entrySet()) if (e.getValue() != null) out.putIfAbsent(e.getKey(), e.getValue());
        }
        return out;
    }

    /** A fresh per-request sampling state: candidates buffer, random source, scratch map. */
    public State newState(int nVocab, RandomGenerator random) {
        return new State(nVocab, random, null);
    }

    /** A fresh per-request sampling state for a model with this vocabulary (steps that read token text need it). */
    public State newState(Vocabulary vocabulary, RandomGenerator random) {
        return new State(vocabulary.size(), random, vocabulary);
    }

    /**
     * Picks the next token from {@code logits} given the tokens so far.
     *
     * @throws IllegalArgumentException if a logit is NaN or {@code +inf}, or a parameter does not fit this
     *                                  vocabulary (e.g. a logit bias for a token id it lacks)
     * @throws IllegalStateException    if the chain removed or banned every token
     */
    public int sample(float[] logits, int[] history, int historyLength, State state) {
        if (historyLength < 0 || historyLength > (history == null ? 0 : history.length)) {
            throw new IllegalArgumentException("history length " + historyLength + " does not fit a history of "
                    + (history == null ? 0 : history.length) + " tokens");
        }
        Candidates c = state.candidates.reset(logits, state.nVocab);
        state.history = history == null ? new int[0] : history;
        state.historyLength = historyLength;
        if (observer != null) observer.observe(-1, c);
        for (int i = 0; i < steps.size(); i++) {
            state.params = params.get(i);
            steps.get(i).apply(c, state);
            if (observer != null) observer.observe(i, c);
            if (c.selected() >= 0) return c.selected();
            if (c.size == 0) throw new IllegalStateException("sampler '" + steps.get(i).name() + "' removed every candidate token");
        }
        throw new IllegalStateException("no sampler in " + names() + " selected a token");
    }

    /**
     * Whether a step says the generation must end after the tokens so far (e.g. a grammar whose
     * document is complete); asked after each accepted token.
     */
    public boolean ends(int[] history, int historyLength, State state) {
        state.history = history == null ? new int[0] : history;
        state.historyLength = historyLength;
        for (int i = 0; i < steps.size(); i++) {
            state.params = params.get(i);
            if (steps.get(i).ends(state)) return true;
        }
        return false;
    }

    /**
     * The log-probabilities of the distribution the last {@link #sample} drew {@code selected} from:
     * log-softmax over the candidates its selecting step left alive, with the logits it drew with
     * (after penalties, biases, filters and temperature). Tokens the chain removed have probability
     * zero and are never listed; a deterministic choice (greedy, temperature 0) has log-probability 0.
     *
     * @param top how many of the most likely tokens to list (0: none)
     */
    public TokenLogprobs logprobs(State state, int selected, int top) {
        Candidates c = state.candidates;
        if (c.size < 1) return new TokenLogprobs(selected, 0f, new int[0], new float[0]);
        float max = c.maxLogit();
        double logZ = max + Math.log(c.expWeights(max));
        int at = c.indexOf(selected);
        float logprob = at < 0 ? Float.NEGATIVE_INFINITY : (float) (c.logits[at] - logZ);
        int k = Math.min(top, c.size);
        if (k <= 0) return new TokenLogprobs(selected, logprob, new int[0], new float[0]);
        c.sortTop(k);
        int finite = 0;
        while (finite < k && c.logits[finite] != Float.NEGATIVE_INFINITY) finite++;
        int[] ids = new int[finite];
        float[] lps = new float[finite];
        for (int i = 0; i < finite; i++) {
            ids[i] = c.ids[i];
            lps[i] = (float) (c.logits[i] - logZ);
        }
        return new TokenLogprobs(selected, logprob, ids, lps);
    }

    /** Per-request state handed to each step as its {@link SamplingContext}. */
    public static final class State implements SamplingContext {
        final int nVocab;
        final Candidates candidates;
        final RandomGenerator random;
        final Vocabulary vocabulary;
        final Map<String, Object> scratch = new HashMap<>();
        Params params;
        int[] history;
        int historyLength;

        State(int nVocab, RandomGenerator random, Vocabulary vocabulary) {
            if (nVocab < 1) throw new IllegalArgumentException("nVocab must be at least 1, got " + nVocab);
            if (random == null) throw new IllegalArgumentException("a sampling state needs a random source");
            this.nVocab = nVocab;
            this.candidates = new Candidates(nVocab);
            this.random = random;
            this.vocabulary = vocabulary;
        }

        @Override
        public Vocabulary vocabulary() {
            return vocabulary;
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
