package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.List;

/**
 * Repetition, frequency and presence penalties over the last {@code penalty_last_n} tokens of the
 * history (prompt and generated), exactly as llama.cpp applies them. For a token seen {@code count}
 * times in that window:
 * <pre>
 *   logit = logit ≤ 0 ? logit · repeat_penalty : logit / repeat_penalty
 *   logit -= count · frequency_penalty + presence_penalty
 * </pre>
 * Multiplying negative logits (rather than dividing every logit, as the CTRL paper wrote it) keeps
 * a penalty from making a negative-logit token more likely.
 */
public final class Penalties implements Sampler {

    private static final String COUNTS = "penalties.counts";
    private static final String SEEN = "penalties.seen";

    @Override
    public String name() {
        return "penalties";
    }

    @Override
    public String description() {
        return "repetition (llama.cpp formula), frequency and presence penalties over the last penalty_last_n tokens";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(
                ParamSpec.realAbove("repeat_penalty", 1.0, 0, 10,
                        "divide positive / multiply negative logits of repeated tokens by this; 1 is off")
                        .withAliases("repetition_penalty"),   // the name vLLM's and others' OpenAI-style APIs use
                ParamSpec.real("frequency_penalty", 0.0, -2, 2, "subtract this times the token's count in the window"),
                ParamSpec.real("presence_penalty", 0.0, -2, 2, "subtract this once from every token in the window"),
                ParamSpec.integer("penalty_last_n", 64, -1, Integer.MAX_VALUE,
                        "how many of the last tokens to look at; 0 turns penalties off, -1 means the whole history"));
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        float repeat = ctx.params().getFloat("repeat_penalty");
        float frequency = ctx.params().getFloat("frequency_penalty");
        float presence = ctx.params().getFloat("presence_penalty");
        int lastN = ctx.params().getInt("penalty_last_n");
        int length = ctx.historyLength();
        if (lastN == 0 || length == 0 || repeat == 1f && frequency == 0f && presence == 0f) return;

        int window = lastN < 0 ? length : Math.min(lastN, length);
        int[] history = ctx.history();
        int nVocab = c.capacity();
        int[] counts = (int[]) ctx.state().computeIfAbsent(COUNTS, k -> new int[nVocab]);
        int[] seen = (int[]) ctx.state().get(SEEN);
        if (seen == null || seen.length < window) {
            seen = new int[Math.max(window, 64)];
            ctx.state().put(SEEN, seen);
        }
        for (int i = length - window; i < length; i++) {
            if (history[i] < 0 || history[i] >= nVocab) {
                throw new IllegalArgumentException("history token " + history[i] + " at position " + i
                        + " is outside the vocabulary (0.." + (nVocab - 1) + ")");
            }
        }
        int distinct = 0;
        for (int i = length - window; i < length; i++) {
            int id = history[i];
            if (counts[id]++ == 0) seen[distinct++] = id;
        }
        boolean changed = false;
        int missed = 0;
        // At the start of a chain token id = position; otherwise one scan finds the rest.
        for (int j = 0; j < distinct; j++) {
            int id = seen[j];
            if (id < c.size && c.ids[id] == id) {
                penalize(c, id, counts[id], repeat, frequency, presence);
                counts[id] = 0;
                changed = true;
            } else {
                missed++;
            }
        }
        if (missed > 0) {
            for (int i = 0; i < c.size; i++) {
                int count = counts[c.ids[i]];
                if (count > 0) {
                    penalize(c, i, count, repeat, frequency, presence);
                    counts[c.ids[i]] = 0;
                    changed = true;
                }
            }
        }
        for (int j = 0; j < distinct; j++) counts[seen[j]] = 0;
        if (changed) c.sorted = false;
    }

    private static void penalize(Candidates c, int i, int count, float repeat, float frequency, float presence) {
        float logit = c.logits[i];
        logit = logit <= 0 ? logit * repeat : logit / repeat;
        c.logits[i] = logit - ((float) count * frequency + presence);
    }
}
