package dev.rill.tokenizer;

/**
 * Byte-pair encoding of one pre-token: start from one token per byte, then repeatedly merge the
 * adjacent pair with the lowest rank, the leftmost one on ties, until no adjacent pair has a rank.
 * <p>
 * The merge table maps a pair of token ids to its rank and the token it merges into. For a
 * Hugging Face vocabulary the rank is the merge's line in {@code merges}; for tiktoken it is the
 * rank of the merged token, and the table lists every way to split each token into two tokens,
 * which makes this loop identical to tiktoken's "merge the adjacent parts whose concatenation
 * has the lowest rank". With {@code wholeFirst} (tiktoken, and {@code ignore_merges} in Llama 3's
 * tokenizer.json) a pre-token that is itself a token is emitted as that token without merging.
 * <p>
 * Short pre-tokens use arrays and a linear scan per merge; long ones (CJK runs, long digit or
 * whitespace runs) a linked list and a heap, so that the cost stays O(n log n).
 */
final class BytePairEncoder {

    /** Pieces at most this long use the quadratic array scan, which is faster for them. */
    private static final int SHORT = 48;
    private static final int NO_RANK = Integer.MAX_VALUE;

    private final int[] byteTokens;
    private final LongLongMap merges;
    private final BytesTable wholeTokens;

    /**
     * @param byteTokens  the token of each single byte (-1 where a byte has none)
     * @param merges      {@link LongLongMap#pair(int, int)} → {@code rank << 32 | merged token}
     * @param wholeTokens tokens by their bytes, consulted first for a whole pre-token; or {@code null}
     */
    BytePairEncoder(int[] byteTokens, LongLongMap merges, BytesTable wholeTokens) {
        this.byteTokens = byteTokens.clone();
        this.merges = merges;
        this.wholeTokens = wholeTokens;
    }

    /** The token of one byte, or -1 when the vocabulary has none. */
    int byteToken(int b) {
        return byteTokens[b & 0xFF];
    }

    /** Encodes the UTF-8 bytes of one pre-token. */
    int[] encode(byte[] bytes) {
        int n = bytes.length;
        if (n == 0) return new int[0];
        if (wholeTokens != null) {
            int whole = wholeTokens.get(bytes, 0, n);
            if (whole >= 0) return new int[]{whole};
        }
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            int id = byteTokens[bytes[i] & 0xFF];
            if (id < 0) {
                // The text, not the vocabulary, is what a caller can change: a bad-input error, not a failure.
                throw new IllegalArgumentException(String.format(
                        "the text has byte 0x%02X, which the model's vocabulary has no token for; use only characters the vocabulary covers",
                        bytes[i] & 0xFF));
            }
            ids[i] = id;
        }
        if (n == 1) return ids;
        return n <= SHORT ? mergeShort(ids) : mergeLong(ids);
    }

    private long lookup(int left, int right) {
        return merges.get(LongLongMap.pair(left, right));
    }

    private static int rankOf(long merge) {
        return merge == LongLongMap.MISSING ? NO_RANK : (int) (merge >>> 32);
    }

    private int[] mergeShort(int[] ids) {
        int n = ids.length;
        int[] ranks = new int[n - 1];
        int[] merged = new int[n - 1];
        for (int i = 0; i < n - 1; i++) {
            long m = lookup(ids[i], ids[i + 1]);
            ranks[i] = rankOf(m);
            merged[i] = (int) m;
        }
        while (n > 1) {
            int best = -1;
            int bestRank = NO_RANK;
            for (int i = 0; i < n - 1; i++) {
                if (ranks[i] < bestRank) {
                    bestRank = ranks[i];
                    best = i;
                }
            }
            if (best < 0) break;
            ids[best] = merged[best];
            // Drop ids[best + 1] and the pair entry at best (the pair entry best-1 is recomputed).
            System.arraycopy(ids, best + 2, ids, best + 1, n - best - 2);
            System.arraycopy(ranks, best + 1, ranks, best, n - best - 2);
            System.arraycopy(merged, best + 1, merged, best, n - best - 2);
            n--;
            if (best > 0) {
                long m = lookup(ids[best - 1], ids[best]);
                ranks[best - 1] = rankOf(m);
                merged[best - 1] = (int) m;
            }
            if (best < n - 1) {
                long m = lookup(ids[best], ids[best + 1]);
                ranks[best] = rankOf(m);
                merged[best] = (int) m;
            }
        }
        return java.util.Arrays.copyOf(ids, n);
    }

    private int[] mergeLong(int[] ids) {
        int n = ids.length;
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] dead = new boolean[n];
        // Entries are rank << 32 | position of the left token: the heap yields the lowest rank,
        // then the leftmost position, which is the order the reference implementations merge in.
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            if (i + 1 < n) {
                int r = rankOf(lookup(ids[i], ids[i + 1]));
                if (r != NO_RANK) heap.push((long) r << 32 | i);
            }
        }
        int count = n;
        while (!heap.isEmpty()) {
            long entry = heap.pop();
            int i = (int) entry;
            int rank = (int) (entry >>> 32);
            int j = next[i];
            if (dead[i] || j < 0) continue;
            long m = lookup(ids[i], ids[j]);
            if (rankOf(m) != rank) continue; // stale: the pair at i changed since this entry was pushed
            ids[i] = (int) m;
            dead[j] = true;
            count--;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) {
                int r = rankOf(lookup(ids[prev[i]], ids[i]));
                if (r != NO_RANK) heap.push((long) r << 32 | prev[i]);
            }
            if (next[i] >= 0) {
                int r = rankOf(lookup(ids[i], ids[next[i]]));
                if (r != NO_RANK) heap.push((long) r << 32 | i);
            }
        }
        int[] out = new int[count];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) out[k++] = ids[i];
        return out;
    }
}
