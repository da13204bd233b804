package dev.rill.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.plugin.PluginRegistry;
import dev.rill.sampler.GrammarSampler;
import dev.rill.sampler.grammar.Constraint;
import dev.rill.sampler.grammar.JsonGrammar;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.Params;
import dev.rill.spi.StreamDecoder;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The cost of constrained sampling per token, on a real vocabulary (Llama 3's tokenizer.json, and
 * its first 32,000 tokens as a 32k vocabulary): a JSON document of a schema is split into that
 * vocabulary's tokens (longest match), and at each of its tokens the bench times (a) the walk of the
 * vocabulary's trie that computes the allowed tokens from scratch, and (b) a whole sampling step of
 * {@code grammar} + the default chain on random logits — on the first pass over the document (every
 * state's mask computed then) and on later passes (masks cached), beside the same chain without a
 * grammar. The document's own tokens are fed back, so the states are those of a real document.
 */
final class GrammarBench {

    static final String SCHEMA = """
            {"type": "object", "properties": {
              "name": {"type": "string"}, "age": {"type": "integer"}, "email": {"type": ["string", "null"]},
              "languages": {"type": "array", "items": {"type": "string"}},
              "address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}, "zip": {"type": "string"}},
                          "required": ["street", "city", "zip"], "additionalProperties": false},
              "score": {"type": "number"}, "active": {"type": "boolean"}, "bio": {"type": "string"}},
             "required": ["name", "age", "email", "languages", "address", "score", "active", "bio"], "additionalProperties": false}""";

    static final String DOCUMENT = """
            {"name": "Ada Lovelace", "age": 36, "email": null, "languages": ["English", "French", "Italian"],
             "address": {"street": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH"}, "score": 97.25, "active": true,
             "bio": "Mathematician and writer, chiefly known for her work on Charles Babbage's proposed mechanical general-purpose computer, the Analytical Engine. Café, naïve, 日本語, emoji 😀."}""";

    private GrammarBench() {
    }

    static void run(Path tokenizerJson, List<Integer> sizes, int passes, long seed) throws IOException {
        System.out.println();
        if (!Files.isRegularFile(tokenizerJson)) {
            System.out.println("grammar: skipped, no vocabulary at " + tokenizerJson + " (give --grammar-vocab FILE, a tokenizer.json; "
                    + "`npm ci` in plugins/tokenizers/src/test/node installs Llama 3's)");
            return;
        }
        PluginRegistry registry = PluginRegistry.load();
        Tokenizer hf = registry.get(Tokenizer.class, "hf");
        Vocabulary full = hf.load(tokenizerJson, hf.params(null));
        String grammar = JsonGrammar.of(new ObjectMapper().readTree(SCHEMA));
        System.out.printf(Locale.ROOT, "grammar: a JSON schema (8 properties, nested object, array) as GBNF; its %,d-byte document; vocabulary %s%n",
                DOCUMENT.getBytes(StandardCharsets.UTF_8).length, tokenizerJson);
        System.out.printf(Locale.ROOT, "%10s %7s %9s %12s %12s %14s %14s %14s %14s%n", "nVocab", "tokens", "trie ms", "walk med µs",
                "walk p90 µs", "step 1st med", "step 1st p90", "step warm med", "no grammar med");
        for (int n : sizes) {
            Vocabulary v = n >= full.size() ? full : new Prefix(full, n);
            long t0 = System.nanoTime();
            Constraint.start(grammar, v);   // builds the vocabulary's trie
            double trieMs = (System.nanoTime() - t0) / 1e6;
            int[] doc = longestMatch(v, DOCUMENT.getBytes(StandardCharsets.UTF_8));
            // (a) the walk from scratch at each position of the document (after a warm-up pass for the JIT)
            for (int k = 0; k < 2; k++) walk(grammar, v, doc);
            long[] walks = walk(grammar, v, doc);
            // (b) whole sampling steps: the first pass over fresh masks, then warm ones; and without a grammar
            SplittableRandom rnd = new SplittableRandom(seed);
            float[][] logits = new float[8][v.size()];
            for (float[] l : logits) for (int i = 0; i < l.length; i++) l[i] = (float) (3 * rnd.nextGaussian());
            List<String> names = new ArrayList<>(List.of("grammar"));
            names.addAll(SamplerChain.DEFAULT);
            SamplerChain with = SamplerChain.of(registry, names, Map.of("grammar", grammar));
            SamplerChain without = SamplerChain.of(registry, SamplerChain.DEFAULT, Map.of());
            for (int k = 0; k < 3; k++) steps(without, v, doc, logits);   // JIT warm-up of the chain itself
            long[] first = null, warm = null;
            // A different grammar text per size and run would defeat caching; fresh matchers come from a fresh thread.
            long[][] result = new long[2][];
            Thread th = Thread.ofPlatform().start(() -> {
                result[0] = steps(with, v, doc, logits);
                long[] last = null;
                for (int p = 1; p < Math.max(2, passes); p++) last = steps(with, v, doc, logits);
                result[1] = last;
            });
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            first = result[0];
            warm = result[1];
            long[] plain = steps(without, v, doc, logits);
            System.out.printf(Locale.ROOT, "%10d %7d %9.0f %12.1f %12.1f %14.1f %14.1f %14.1f %14.1f%n", v.size(), doc.length, trieMs,
                    median(walks), p90(walks), median(first), p90(first), median(warm), median(plain));
        }
        System.out.println("walk: allowed tokens computed from scratch at a position; step: one whole sampling step (grammar + "
                + String.join(",", SamplerChain.DEFAULT) + ") — 1st: the first pass over the document, each new state's mask computed; "
                + "warm: later passes, masks cached per state. Times in µs.");
    }

    private static long[] walk(String grammar, Vocabulary v, int[] doc) {
        // A fresh thread: its own matcher, so nothing is cached from an earlier call.
        long[][] out = new long[1][];
        Thread th = Thread.ofPlatform().start(() -> {
            Constraint c = Constraint.start(grammar, v);
            long[] nanos = new long[doc.length];
            for (int i = 0; i < doc.length; i++) {
                long t0 = System.nanoTime();
                long[] mask = c.computeAllowed();
                nanos[i] = System.nanoTime() - t0;
                if ((mask[doc[i] >>> 6] & (1L << doc[i])) == 0) throw new IllegalStateException("the document's token " + i + " is not allowed");
                c.accept(doc[i]);
            }
            out[0] = nanos;
        });
        try {
            th.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out[0];
    }

    private static long[] steps(SamplerChain chain, Vocabulary v, int[] doc, float[][] logits) {
        SamplerChain.State state = chain.newState(v, SamplerChain.seededRandom(1));
        int[] history = new int[doc.length + 1];
        long[] nanos = new long[doc.length];
        long sink = 0;
        for (int i = 0; i < doc.length; i++) {
            long t0 = System.nanoTime();
            sink += chain.sample(logits[i % logits.length], history, i + 1, state);
            nanos[i] = System.nanoTime() - t0;
            history[i + 1] = doc[i];   // the document's token, not the drawn one: a real document's states
        }
        if (sink == Long.MIN_VALUE) System.out.print("");
        if (state.state().containsKey(GrammarSampler.KEY) == false && chain.names().contains("grammar")) throw new IllegalStateException("no grammar ran");
        return nanos;
    }

    /** Splits bytes into the vocabulary's tokens, longest match first (a tokenization any vocabulary can do). */
    static int[] longestMatch(Vocabulary v, byte[] text) {
        Map<String, Integer> byBytes = new java.util.HashMap<>();
        int longest = 0;
        for (int id = 0; id < v.size(); id++) {
            byte[] b = v.tokenBytes(id);
            if (b == null || b.length == 0) continue;
            byBytes.putIfAbsent(new String(b, StandardCharsets.ISO_8859_1), id);
            longest = Math.max(longest, b.length);
        }
        List<Integer> out = new ArrayList<>();
        String s = new String(text, StandardCharsets.ISO_8859_1);
        for (int i = 0; i < s.length(); ) {
            int found = -1, len = 0;
            for (int l = Math.min(longest, s.length() - i); l > 0; l--) {
                Integer id = byBytes.get(s.substring(i, i + l));
                if (id != null) {
                    found = id;
                    len = l;
                    break;
                }
            }
            if (found < 0) throw new IllegalStateException("the vocabulary has no token for byte " + (text[i] & 0xFF));
            out.add(found);
            i += len;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static double median(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[s.length / 2] / 1e3;
    }

    private static double p90(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) (s.length * 0.9))] / 1e3;
    }

    /** The first {@code n} tokens of a vocabulary, as a vocabulary of their own. */
    private record Prefix(Vocabulary full, int n) implements Vocabulary {
        public String tokenizer() {
            return full.tokenizer();
        }

        public Params params() {
            return full.params();
        }

        public int size() {
            return n;
        }

        public byte[] tokenBytes(int id) {
            if (id < 0 || id >= n) throw new IllegalArgumentException("token " + id + " outside the vocabulary");
            return full.tokenBytes(id);
        }

        public Set<Integer> endTokens() {
            return Set.of();
        }

        public int[] encode(String text) {
            throw new UnsupportedOperationException();
        }

        public String decode(int[] ids) {
            throw new UnsupportedOperationException();
        }

        public StreamDecoder streamDecoder() {
            throw new UnsupportedOperationException();
        }

        public String piece(int id) {
            return full.piece(id);
        }

        public void save(Path file) {
            throw new UnsupportedOperationException();
        }
    }
}
