package dev.rill.server.chat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Builds the prompt tokens of a conversation within a token budget: while the rendered prompt is
 * longer than the budget, the oldest turn that is not a system message is dropped (the last message
 * always stays). If the system messages and the last message alone are still too long, the tokens
 * are returned as they are and the generation keeps the last {@code T} of them, as the seed says.
 * <p>
 * The cost is linear in the conversation, not quadratic: each message is encoded once to estimate
 * what dropping it saves, and the conversation is rendered and encoded whole only a few times, to
 * find from that estimate the fewest dropped turns that fit (galloping, then bisecting: a handful of
 * renders when the estimate is close, as it is unless the template adds much per turn).
 */
public final class PromptBuilder {

    /**
     * @param tokens  the prompt's token indices
     * @param dropped how many of the oldest turns were left out to fit
     */
    public record Prompt(int[] tokens, int dropped) {
    }

    private PromptBuilder() {
    }

    /**
     * @param encoder turns the rendered prompt into token ids (the model's {@code encodePrompt})
     * @throws IllegalArgumentException for an empty conversation or one the chat template rejects
     */
    public static Prompt build(ChatFormat format, Function<String, int[]> encoder, List<ChatMessage> messages, int budget) {
        return build(format, encoder, messages, List.of(), budget, false);
    }

    /** As {@link #build(ChatFormat, Function, List, int)}, with tools the model may call. */
    public static Prompt build(ChatFormat format, Function<String, int[]> encoder, List<ChatMessage> messages, List<Tool> tools, int budget) {
        return build(format, encoder, messages, tools, budget, false);
    }

    /**
     * @param continueLast continue the last message (an assistant reply) instead of opening a new
     *                     reply ({@link ChatFormat#renderContinuation})
     * @throws IllegalArgumentException for an empty conversation, one the chat template rejects, or
     *                                  (continuing) one whose last message is not the assistant's
     */
    public static Prompt build(ChatFormat format, Function<String, int[]> encoder, List<ChatMessage> messages, int budget,
                               boolean continueLast) {
        return build(format, encoder, messages, List.of(), budget, continueLast);
    }

    /** The general form: tools the model may call (not with {@code continueLast}, which continues a reply as it is). */
    public static Prompt build(ChatFormat format, Function<String, int[]> encoder, List<ChatMessage> messages, List<Tool> tools, int budget,
                               boolean continueLast) {
        if (messages.isEmpty()) throw new IllegalArgumentException("the conversation has no messages");
        Function<List<ChatMessage>, String> render = continueLast ? format::renderContinuation : kept -> format.render(kept, tools);
        int[] whole = encoder.apply(render.apply(messages));
        if (whole.length <= budget) return new Prompt(whole, 0);
        List<Integer> droppable = new ArrayList<>();
        for (int i = 0; i < messages.size() - 1; i++) if (!messages.get(i).isSystem()) droppable.add(i);
        if (droppable.isEmpty()) return new Prompt(whole, 0);

        Trials trials = new Trials(render, encoder, messages, droppable, budget);
        trials.known.put(0, whole);
        int n = droppable.size();
        // The estimate: the fewest oldest turns whose own tokens (plus one for the turn's markup) cover the excess.
        int excess = whole.length - budget, k = 0;
        for (long saved = 0; k < n && saved < excess; k++) saved += encoder.apply(Objects.toString(messages.get(droppable.get(k)).content(), "")).length + 1;
        // fits(lo) is false, fits(hi) true (n stands for "all droppable turns dropped", accepted even when too long).
        int lo, hi;
        if (trials.fits(k)) {
            hi = k;
            int step = 1;
            lo = Math.max(0, k - step);
            while (lo > 0 && trials.fits(lo)) {
                hi = lo;
                step *= 2;
                lo = Math.max(0, hi - step);
            }
        } else {
            lo = k;
            int step = 1;
            hi = Math.min(n, k + step);
            while (hi < n && !trials.fits(hi)) {
                lo = hi;
                step *= 2;
                hi = Math.min(n, lo + step);
            }
        }
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (trials.fits(mid)) hi = mid;
            else lo = mid;
        }
        return new Prompt(trials.tokens(hi), hi);
    }

    /** The rendered and encoded prompt with the {@code k} oldest droppable turns left out, each computed once. */
    private static final class Trials {
        final Function<List<ChatMessage>, String> render;
        final Function<String, int[]> encoder;
        final List<ChatMessage> messages;
        final List<Integer> droppable;
        final int budget;
        final Map<Integer, int[]> known = new HashMap<>();
        final Map<Integer, IllegalArgumentException> rejected = new HashMap<>();

        Trials(Function<List<ChatMessage>, String> render, Function<String, int[]> encoder, List<ChatMessage> messages,
               List<Integer> droppable, int budget) {
            this.render = render;
            this.encoder = encoder;
            this.messages = messages;
            this.droppable = droppable;
            this.budget = budget;
        }

        /** Whether the prompt without the {@code k} oldest droppable turns fits (a conversation the template rejects does not). */
        boolean fits(int k) {
            if (rejected.containsKey(k)) return false;
            try {
                return tokens(k).length <= budget;
            } catch (IllegalArgumentException e) {
                rejected.put(k, e);
                return false;
            }
        }

        int[] tokens(int k) {
            int[] t = known.get(k);
            if (t != null) return t;
            if (rejected.containsKey(k)) throw rejected.get(k);
            List<ChatMessage> kept = new ArrayList<>(messages.size() - k);
            int firstKept = k == 0 ? 0 : droppable.get(k - 1) + 1;
            for (int i = 0; i < messages.size(); i++) {
                if (i >= firstKept || messages.get(i).isSystem()) kept.add(messages.get(i));
            }
            t = encoder.apply(render.apply(kept));
            known.put(k, t);
            return t;
        }
    }
}
