package dev.rill.sampler;

import dev.rill.sampler.grammar.Constraint;
import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.List;

/**
 * Constrained sampling: removes every token that cannot continue a document of the request's GBNF
 * grammar (llama.cpp's format), so the output always parses. The mask is computed over the model's
 * own tokens by their bytes (multi-byte characters split across tokens included); the parse state
 * advances with each accepted token, read from the history. End tokens are allowed only where the
 * document is complete, and the generation ends once nothing more may follow.
 */
public final class GrammarSampler implements Sampler {

    /** The request's {@link Constraint} in the sampling state, and how many history tokens it has read. */
    public static final String KEY = "grammar.constraint", READ = "grammar.read";

    @Override
    public String name() {
        return "grammar";
    }

    @Override
    public String description() {
        return "keep only tokens that can continue a document of the GBNF grammar (structured output)";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.string("grammar", "", "GBNF grammar (llama.cpp syntax, starting at 'root'); empty: no constraint"));
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        Constraint constraint = constraint(ctx);
        if (constraint == null) return;
        long[] allowed = constraint.allowed();
        keep(c, allowed);
        if (c.size == 0) {
            throw new IllegalArgumentException("no token of the model's vocabulary can continue the grammar here (it expects "
                    + constraint.expected() + ")");
        }
    }

    @Override
    public boolean ends(SamplingContext ctx) {
        Constraint constraint = constraint(ctx);
        return constraint != null && constraint.finished();
    }

    /** The request's constraint, moved past the tokens accepted since the last call; {@code null} without a grammar. */
    private static Constraint constraint(SamplingContext ctx) {
        String grammar = ctx.params().getString("grammar");
        if (grammar == null || grammar.isEmpty()) return null;
        Constraint constraint = (Constraint) ctx.state().get(KEY);
        int[] read = (int[]) ctx.state().get(READ);
        if (constraint == null) {
            if (ctx.vocabulary() == null) throw new IllegalStateException("the grammar sampler needs the model's vocabulary");
            constraint = Constraint.start(grammar, ctx.vocabulary());
            read = new int[]{ctx.historyLength()};   // the prompt is not part of the document
            ctx.state().put(KEY, constraint);
            ctx.state().put(READ, read);
        }
        int[] history = ctx.history();
        for (; read[0] < ctx.historyLength(); read[0]++) constraint.accept(history[read[0]]);
        return constraint;
    }

    private static volatile int[] identity = new int[0];

    /** Whether {@code ids[0..size)} is 0, 1, 2, ... (one vectorized comparison). */
    private static boolean isIdentity(int[] ids, int size) {
        int[] id = identity;
        if (id.length < size) {
            id = new int[Math.max(size, 2 * id.length)];
            for (int i = 0; i < id.length; i++) id[i] = i;
            identity = id;
        }
        return java.util.Arrays.mismatch(ids, 0, size, id, 0, size) < 0;
    }

    /**
     * Keeps the live candidates whose bit is set, in their order; when most are allowed and the
     * candidates are still in id order, the others stay in place with logit {@code -inf} instead
     * (banned: probability zero), which costs a pass over the few banned ones.
     */
    static void keep(Candidates c, long[] allowed) {
        int n = 0;
        int size = c.size;
        int[] ids = c.ids;
        float[] logits = c.logits;
        if (!c.sorted && size > 0 && ids[size - 1] == size - 1 && isIdentity(ids, size)) {
            int words = Math.min(allowed.length, (size + 63) >>> 6);
            int count = 0;
            for (int w = 0; w < words; w++) count += Long.bitCount(allowed[w]);
            if (count > size / 2) {
                // Most tokens fit (e.g. inside a string): ban the few that do not, in place, rather than move the rest.
                for (int w = 0; w < words; w++) {
                    long banned = ~allowed[w];
                    while (banned != 0) {
                        int id = (w << 6) + Long.numberOfTrailingZeros(banned);
                        banned &= banned - 1;
                        if (id >= size) break;
                        logits[id] = Float.NEGATIVE_INFINITY;
                    }
                }
                return;
            }
            // Still in id order (the chain's start): visit only the set bits.
            for (int w = 0; w < words; w++) {
                long bits = allowed[w];
                while (bits != 0) {
                    int id = (w << 6) + Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    if (id >= size) break;
                    ids[n] = id;
                    logits[n] = logits[id];
                    n++;
                }
            }
        } else {
            for (int i = 0; i < size; i++) {
                int id = ids[i];
                if ((allowed[id >>> 6] & (1L << id)) != 0) {
                    ids[n] = id;
                    logits[n] = logits[i];
                    n++;
                }
            }
        }
        c.size = n;
    }
}
