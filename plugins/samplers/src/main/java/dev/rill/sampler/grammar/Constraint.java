package dev.rill.sampler.grammar;

import dev.rill.spi.Vocabulary;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One generation held to a grammar: where the parse stands after the tokens accepted so far, and the
 * set of tokens that may come next. Matchers (with their memoized states and cached masks) are
 * shared between generations of the same grammar and vocabulary on the same thread — a model's
 * scheduler runs on one thread, so a schema used by many requests is compiled and walked once.
 */
public final class Constraint {

    /** Compiled grammars by source text (immutable, shared across threads). */
    private static final Map<String, Grammar> GRAMMARS = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Grammar> e) {
            return size() > 64;
        }
    };

    /** Matchers of this thread, by grammar and vocabulary. */
    private static final ThreadLocal<Map<MatcherKey, Shared>> MATCHERS = ThreadLocal.withInitial(() -> new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<MatcherKey, Shared> e) {
            return size() > 8;
        }
    });

    /** Cached masks per matcher: at most this many bytes of them. */
    private static final long MASK_BUDGET_BYTES = 16L << 20;

    private record MatcherKey(Grammar grammar, TokenTrie trie) {
    }

    /** A matcher and the states whose masks it keeps, oldest first. */
    private static final class Shared {
        final Matcher matcher;
        final ArrayDeque<Matcher.State> masked = new ArrayDeque<>();

        Shared(Matcher matcher) {
            this.matcher = matcher;
        }
    }

    private final Shared shared;
    private final TokenTrie trie;
    private Matcher.Position at;
    private boolean ended;

    private Constraint(Shared shared, TokenTrie trie) {
        this.shared = shared;
        this.trie = trie;
        this.at = shared.matcher.startPosition();
    }

    /**
     * Starts a generation held to the GBNF {@code grammar} over {@code vocabulary}'s tokens.
     *
     * @throws IllegalArgumentException naming what is wrong with the grammar
     */
    public static Constraint start(String grammar, Vocabulary vocabulary) {
        return start(compile(grammar), vocabulary);
    }

    public static Constraint start(Grammar grammar, Vocabulary vocabulary) {
        TokenTrie trie = TokenTrie.of(vocabulary);
        Map<MatcherKey, Shared> mine = MATCHERS.get();
        MatcherKey key = new MatcherKey(grammar, trie);
        Shared s = mine.get(key);
        if (s == null || s.matcher.size() > Matcher.MAX_FRAMES / 2) {
            s = new Shared(new Matcher(grammar));
            mine.put(key, s);
        }
        return new Constraint(s, trie);
    }

    /** The compiled grammar of a GBNF text (cached). */
    public static Grammar compile(String gbnf) {
        synchronized (GRAMMARS) {
            Grammar g = GRAMMARS.get(gbnf);
            if (g != null) return g;
        }
        Grammar g = Grammar.parse(gbnf);
        synchronized (GRAMMARS) {
            GRAMMARS.put(gbnf, g);
        }
        return g;
    }

    /** The tokens allowed next, one bit per id. Do not modify. */
    public long[] allowed() {
        if (!at.atCharBoundary()) return trie.mask(shared.matcher, at);
        Matcher.State s = at.state();
        if (s.mask == null) {
            s.mask = trie.mask(shared.matcher, at);
            shared.masked.add(s);
            long limit = Math.max(4, MASK_BUDGET_BYTES / ((long) s.mask.length * 8));
            while (shared.masked.size() > limit) shared.masked.poll().mask = null;
        }
        return s.mask;
    }

    /** The tokens allowed next, computed afresh (a walk of the vocabulary's trie, no cache): for benchmarks. */
    public long[] computeAllowed() {
        return trie.mask(shared.matcher, at);
    }

    /**
     * Moves past {@code token}.
     *
     * @throws IllegalStateException if the grammar does not allow it here (a step after the grammar
     *                               changed the choice)
     */
    public void accept(int token) {
        if (ended) throw new IllegalStateException("token " + token + " came after the grammar's document was complete");
        if (token < 0 || token >= trie.nVocab) throw new IllegalArgumentException("token " + token + " outside the vocabulary");
        if (trie.isEnd(token)) {
            if (!complete()) throw new IllegalStateException("the end token came before the grammar's document was complete");
            ended = true;
            return;
        }
        byte[] b = trie.bytes(token);
        Matcher.Position next = b == null ? null : shared.matcher.read(at, b);
        if (next == null) {
            throw new IllegalStateException("token " + token + " does not fit the grammar here (expected " + expected() + ")");
        }
        at = next;
    }

    /** Whether the text so far is a complete document. */
    public boolean complete() {
        return at.atCharBoundary() && at.state().accepting();
    }

    /**
     * Whether the generation must end now: the document is complete and nothing may follow, or it is
     * complete and the vocabulary has no end token with which the model could choose to stop.
     */
    public boolean finished() {
        if (ended) return true;
        if (!complete()) return false;
        return !at.state().continues() || !trie.hasEndTokens();
    }

    /**
     * The fewest characters that complete the document after {@code token} (for driving random
     * documents to an end in tests); {@link Integer#MAX_VALUE} if the token does not fit.
     */
    int remainingAfter(int token) {
        if (trie.isEnd(token)) return complete() ? 0 : Integer.MAX_VALUE;
        byte[] b = trie.bytes(token);
        Matcher.Position next = b == null ? null : shared.matcher.read(at, b);
        return next == null ? Integer.MAX_VALUE : shared.matcher.minRemaining(next);
    }

    /** What the grammar expects next (for messages). */
    public String expected() {
        return at.atCharBoundary() ? at.state().expected() : "the rest of a multi-byte character";
    }
}
