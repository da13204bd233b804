package dev.rill.generate;

import dev.rill.model.LoadedModel;
import dev.rill.sampling.SamplerChain;
import dev.rill.sampling.StopStrings;
import dev.rill.sampling.TokenLogprobs;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.StreamDecoder;

import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * One generation, step by step, exactly as the seed describes: the model sees the last
 * {@code window} tokens (the context size), gives logits for the next, a token is sampled and
 * appended, repeat. The KV cache holds the keys and values of the tokens in the window; while the
 * window has room each new token costs one position. Once it is full, the window slides: the cache
 * is rebuilt on the last {@code window} tokens, so every token is what a full recompute on the last
 * {@code window} tokens gives.
 *
 * <p>The caller drives it: {@link #nextChunk} gives tokens to run through {@link ForwardPass#forward}
 * (a prompt may come in several chunks, interleaved with other sequences' steps); when
 * {@link #readyToSample()}, {@link #accept} takes the logits and samples. A batch scheduler can run
 * many sequences' single-token steps in one {@link ForwardPass#decode} call.
 */
public final class Sequence {

    private final LoadedModel model;
    private final KvCache cache;
    private final SamplerChain chain;
    private final SamplerChain.State samplerState;
    private final StreamDecoder decoder;
    private final StopStrings stops;
    private final int window, maxTokens, promptTokens, logprobs;
    private final java.util.Set<Integer> endTokens;
    private int[] tokens;
    private int count, windowStart, fed, generated;
    private final StringBuilder text = new StringBuilder();
    private FinishReason finish;
    private volatile boolean cancelled;
    private final long startNanos = System.nanoTime();
    private long firstTokenNanos, lastTokenNanos;

    public Sequence(LoadedModel model, ForwardPass pass, GenerationRequest request) {
        this.model = model;
        this.window = model.maxContext();
        this.maxTokens = request.maxTokens();
        this.chain = request.chain();
        int nVocab = model.weights().arch().nVocab();
        for (int t : request.prompt()) {
            if (t < 0 || t >= nVocab) throw new IllegalArgumentException("prompt token " + t + " outside the vocabulary [0, " + nVocab + ")");
        }
        long seed = request.seed() != null ? request.seed() : new SplittableRandom().nextLong();
        this.samplerState = chain.newState(model.vocabulary(), new SplittableRandom(seed));
        this.logprobs = request.logprobs();
        this.decoder = model.vocabulary().streamDecoder();
        this.endTokens = model.vocabulary().endTokens();
        this.stops = new StopStrings(request.stop());
        int[] prompt = request.prompt();
        // Crop the prompt to the last `window` tokens.
        int keep = Math.min(prompt.length, window);
        this.tokens = Arrays.copyOfRange(prompt, prompt.length - keep, prompt.length + Math.min(maxTokens, 1 << 16));
        this.count = keep;
        this.promptTokens = keep;
        this.cache = pass.newCache(window);
    }

    public KvCache cache() {
        return cache;
    }

    /** Tokens not yet run through the model. */
    public int pending() {
        return finish != null ? 0 : count - (windowStart + fed);
    }

    /** Whether the last forward left the logits of the next token (nothing pending, not finished). */
    public boolean readyToSample() {
        return finish == null && pending() == 0;
    }

    /**
     * The next up-to-{@code maxChunk} tokens to run at the cache's next positions. They count as
     * fed once returned: the caller must run them.
     */
    public int[] nextChunk(int maxChunk) {
        int n = Math.min(pending(), Math.max(1, maxChunk));
        int from = windowStart + fed;
        fed += n;
        return Arrays.copyOfRange(tokens, from, from + n);
    }

    /**
     * Takes over the prompt {@code leader} has just run: its cache was copied into this sequence's
     * ({@link ForwardPass#copyCache}), so nothing of the prompt is pending here either.
     *
     * @throws IllegalStateException unless both have the same prompt, the leader has run all of it and
     *                               sampled nothing yet, and this sequence has run none of it
     */
    public void adoptPrompt(Sequence leader) {
        if (fed != 0 || windowStart != 0 || leader.generated != 0 || leader.pending() != 0 || leader.count != count
                || !Arrays.equals(tokens, 0, count, leader.tokens, 0, count) || cache.length() != leader.fed) {
            throw new IllegalStateException("a sequence can only take over the whole prompt of an identical one that has just run it");
        }
        windowStart = leader.windowStart;
        fed = leader.fed;
    }

    /**
     * Samples the next token from the logits of the last forward, and returns it (its text may be
     * empty while held back), or empty if the sequence ended without emitting one (end token,
     * stop string, cancel).
     */
    public Optional<GeneratedToken> accept(float[] logits) {
        if (finish != null) return Optional.empty();
        if (cancelled) {
            finishWith(FinishReason.CANCELLED);
            return Optional.empty();
        }
        if (pending() != 0) throw new IllegalStateException("tokens are still pending; run them before sampling");
        int next = chain.sample(logits, tokens, count, samplerState);
        TokenLogprobs lp = logprobs >= 0 ? chain.logprobs(samplerState, next, logprobs) : null;
        long now = System.nanoTime();
        if (generated == 0) firstTokenNanos = now;
        lastTokenNanos = now;
        int index = generated++;
        if (endTokens.contains(next)) {
            // Text held back (an incomplete character, a possible stop string) is still owed.
            StopStrings.Step last = stops.push(decoder.flush());
            String rest = last.text() + (last.stopped() ? "" : stops.finish());
            text.append(rest);
            finishWith(FinishReason.STOP);
            return rest.isEmpty() ? Optional.empty() : Optional.of(new GeneratedToken(index, next, rest));
        }
        append(next);
        StopStrings.Step step = stops.push(decoder.push(next));
        String piece = step.text();
        if (step.stopped()) {
            text.append(piece);
            finishWith(FinishReason.STOP);
            return piece.isEmpty() ? Optional.empty() : Optional.of(new GeneratedToken(index, next, piece, lp));
        }
        // A step may end the generation here (a grammar whose document is complete), as an end token would.
        boolean complete = chain.ends(tokens, count, samplerState);
        if (complete || generated >= maxTokens) {
            StopStrings.Step last = stops.push(decoder.flush());
            piece += last.text();
            if (!last.stopped()) piece += stops.finish();
            text.append(piece);
            finishWith(last.stopped() || complete ? FinishReason.STOP : FinishReason.LENGTH);
        } else {
            text.append(piece);
        }
        return Optional.of(new GeneratedToken(index, next, piece, lp));
    }

    private void append(int token) {
        if (count == tokens.length) tokens = Arrays.copyOf(tokens, tokens.length * 2);
        tokens[count++] = token;
        if (fed == window) {
            // The window is full: slide it and rebuild the cache on the last `window` tokens.
            windowStart = count - window;
            fed = 0;
            cache.truncate(0);
        }
    }

    private void finishWith(FinishReason reason) {
        finish = reason;
        cache.close();
    }

    /** Asks the sequence to end; it does at its next {@link #accept} (or now, if the caller stops driving it). */
    public void cancel() {
        cancelled = true;
    }

    public boolean cancelled() {
        return cancelled;
    }

    /** Ends a sequence that will not be driven any more (e.g. the client went away mid-prompt). */
    public void abort() {
        if (finish == null) finishWith(FinishReason.CANCELLED);
    }

    public boolean finished() {
        return finish != null;
    }

    public int generated() {
        return generated;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public LoadedModel model() {
        return model;
    }

    /** How it went; valid once {@link #finished()}. */
    public GenerationResult result() {
        double ttft = generated == 0 ? 0 : (firstTokenNanos - startNanos) / 1e6;
        double tps = generated > 1 ? (generated - 1) / ((lastTokenNanos - firstTokenNanos) / 1e9) : 0;
        return new GenerationResult(finish, promptTokens, generated, text.toString(), ttft, tps);
    }
}
