package dev.rill.sampler.grammar;

import dev.rill.spi.Vocabulary;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The text tokens of a vocabulary in a byte trie, laid out in preorder: node {@code i} has a depth,
 * the byte on the edge into it, the index just past its subtree ({@code skip}) and the tokens whose
 * bytes end there. {@link #mask} walks it against a {@link Matcher} position: a byte the grammar
 * rejects skips the whole subtree, so a restrictive state visits few nodes and a permissive one
 * visits each node once with a memoized transition. Built once per vocabulary and shared.
 */
public final class TokenTrie {

    private static final Map<Vocabulary, TokenTrie> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    final int nVocab;
    private final byte[] edge;
    private final int[] depth;
    private final int[] skip;
    /** Tokens ending at node i: {@code tokens[tokenStart[i] .. tokenStart[i + 1])}. */
    private final int[] tokenStart;
    private final int[] tokens;
    /** Per node, over its subtree (its own edge included): the ASCII bytes that occur, ... */
    private final long[] subLo, subHi;
    /** ... whether a byte ≥ 0x80 occurs, and whether every token there is well-formed UTF-8 (possibly cut short at its end). */
    private final boolean[] subHigh, subOk;
    private final int maxDepth;
    private final int[] endTokens;
    private final byte[][] bytes;

    private TokenTrie(Vocabulary v) {
        nVocab = v.size();
        bytes = new byte[nVocab][];
        Set<Integer> ends = v.endTokens();
        Integer[] order = new Integer[nVocab];
        int n = 0;
        long totalBytes = 0;
        for (int id = 0; id < nVocab; id++) {
            byte[] b = v.tokenBytes(id);
            if (b == null || b.length == 0 || ends.contains(id)) continue;
            bytes[id] = b;
            order[n++] = id;
            totalBytes += b.length;
        }
        Integer[] ids = Arrays.copyOf(order, n);
        Arrays.sort(ids, (a, b) -> {
            int c = Arrays.compareUnsigned(bytes[a], bytes[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int cap = (int) Math.min(Integer.MAX_VALUE - 8, totalBytes + 1);
        byte[] e = new byte[cap];
        int[] d = new int[cap], sk = new int[cap], ts = new int[cap + 1];
        int[] toks = new int[n];
        int[] par = new int[cap];
        int[] path = new int[1];   // node index at each depth along the current path (1-based depth)
        int nodes = 0, pathLen = 0, tokenCount = 0, deepest = 0;
        byte[] prev = new byte[0];
        for (int id : ids) {
            byte[] b = bytes[id];
            int common = 0;
            int limit = Math.min(prev.length, b.length);
            while (common < limit && prev[common] == b[common]) common++;
            // Close the nodes below the shared prefix: their subtrees end here.
            while (pathLen > common) sk[path[--pathLen]] = nodes;
            for (int k = common; k < b.length; k++) {
                if (pathLen == path.length) path = Arrays.copyOf(path, path.length * 2);
                e[nodes] = b[k];
                d[nodes] = k + 1;
                ts[nodes] = tokenCount;
                par[nodes] = pathLen == 0 ? -1 : path[pathLen - 1];
                path[pathLen++] = nodes;
                nodes++;
            }
            deepest = Math.max(deepest, b.length);
            toks[tokenCount++] = id;
            prev = b;
        }
        while (pathLen > 0) sk[path[--pathLen]] = nodes;
        ts[nodes] = tokenCount;
        // Tokens were appended right after their last node (or, for a duplicate, after its twin's),
        // so node i's tokens run from ts[i] to ts[i + 1].
        edge = Arrays.copyOf(e, nodes);
        depth = Arrays.copyOf(d, nodes);
        skip = Arrays.copyOf(sk, nodes);
        tokenStart = Arrays.copyOf(ts, nodes + 1);
        tokens = toks;
        maxDepth = deepest;
        subLo = new long[nodes];
        subHi = new long[nodes];
        subHigh = new boolean[nodes];
        subOk = new boolean[nodes];
        java.util.Arrays.fill(subOk, true);
        for (int i = nodes - 1; i >= 0; i--) {
            int b = edge[i] & 0xFF;
            if (b < 64) subLo[i] |= 1L << b;
            else if (b < 128) subHi[i] |= 1L << (b - 64);
            else subHigh[i] = true;
            for (int k = tokenStart[i]; k < tokenStart[i + 1]; k++) if (!wellFormedPrefix(bytes[tokens[k]])) subOk[i] = false;
            int p = par[i];
            if (p >= 0) {
                subLo[p] |= subLo[i];
                subHi[p] |= subHi[i];
                subHigh[p] |= subHigh[i];
                subOk[p] &= subOk[i];
            }
        }
        endTokens = ends.stream().filter(t -> t >= 0 && t < nVocab).mapToInt(Integer::intValue).sorted().toArray();
    }

    /** Whether {@code b} is UTF-8 from a character boundary, possibly ending inside its last character. */
    static boolean wellFormedPrefix(byte[] b) {
        int need = 0, value = 0, len = 0;
        for (byte x : b) {
            int c = x & 0xFF;
            if (need == 0) {
                if (c < 0x80) continue;
                if (c >= 0xC2 && c <= 0xDF) need = 1;
                else if (c >= 0xE0 && c <= 0xEF) need = 2;
                else if (c >= 0xF0 && c <= 0xF4) need = 3;
                else return false;
                value = c & (0x3F >> need);
                len = need + 1;
            } else {
                if ((c & 0xC0) != 0x80) return false;
                value = (value << 6) | (c & 0x3F);
                need--;
                int shift = 6 * need;
                int lo = Math.max(value << shift, Matcher.MIN_OF_LENGTH[len]);
                int hi = Math.min((value << shift) | ((1 << shift) - 1), Matcher.MAX_OF_LENGTH[len]);
                if (lo > hi || lo >= 0xD800 && hi <= 0xDFFF) return false;
            }
        }
        return true;
    }

    /** The trie of {@code v}'s text tokens (built on first use, then kept while the vocabulary lives). */
    public static TokenTrie of(Vocabulary v) {
        TokenTrie t = CACHE.get(v);
        if (t == null) {
            t = new TokenTrie(v);
            CACHE.put(v, t);
        }
        return t;
    }

    public int nodes() {
        return edge.length;
    }

    /** The bytes of a text token, or {@code null} for a control token or an undefined id. */
    byte[] bytes(int id) {
        return bytes[id];
    }

    boolean isEnd(int id) {
        return Arrays.binarySearch(endTokens, id) >= 0;
    }

    boolean hasEndTokens() {
        return endTokens.length > 0;
    }

    /**
     * The tokens allowed at {@code at}: one bit per id. End tokens are allowed where the document is
     * complete; control tokens never.
     */
    long[] mask(Matcher m, Matcher.Position at) {
        long[] mask = new long[(nVocab + 63) >>> 6];
        Matcher.State[] state = new Matcher.State[maxDepth + 1];
        int[] value = new int[maxDepth + 1], need = new int[maxDepth + 1], len = new int[maxDepth + 1];
        state[0] = at.state();
        value[0] = at.value();
        need[0] = at.need();
        len[0] = at.len();
        Matcher.State dead = m.DEAD;
        int n = edge.length;
        int i = 0;
        while (i < n) {
            int d = depth[i];
            Matcher.State s = state[d - 1];
            int b = edge[i] & 0xFF;
            int v, nd, ln;
            if (need[d - 1] == 0) {
                s.computeLoops();
                if ((subLo[i] & ~s.loopLo) == 0 && (subHi[i] & ~s.loopHi) == 0 && (!subHigh[i] || s.loopHigh) && subOk[i]) {
                    // Every character below leads back to this state: allow the whole subtree unwalked.
                    for (int k = tokenStart[i], end = tokenStart[skip[i]]; k < end; k++) {
                        int id = tokens[k];
                        mask[id >>> 6] |= 1L << id;
                    }
                    i = skip[i];
                    continue;
                }
                if (b < 0x80) {
                    s = s.next(b);
                    if (s == dead) {
                        i = skip[i];
                        continue;
                    }
                    v = 0;
                    nd = 0;
                    ln = 0;
                } else {
                    if (b >= 0xC2 && b <= 0xDF) {
                        v = b & 0x1F;
                        nd = 1;
                    } else if (b >= 0xE0 && b <= 0xEF) {
                        v = b & 0x0F;
                        nd = 2;
                    } else if (b >= 0xF0 && b <= 0xF4) {
                        v = b & 0x07;
                        nd = 3;
                    } else {
                        i = skip[i];
                        continue;
                    }
                    ln = nd + 1;
                    if (!m.partialPossible(s, v, nd, ln)) {
                        i = skip[i];
                        continue;
                    }
                }
            } else {
                if ((b & 0xC0) != 0x80) {
                    i = skip[i];
                    continue;
                }
                v = (value[d - 1] << 6) | (b & 0x3F);
                nd = need[d - 1] - 1;
                ln = len[d - 1];
                if (nd == 0) {
                    if (!Matcher.validScalar(v, ln) || (s = s.next(v)) == dead) {
                        i = skip[i];
                        continue;
                    }
                    v = 0;
                    ln = 0;
                } else if (!m.partialPossible(s, v, nd, ln)) {
                    i = skip[i];
                    continue;
                }
            }
            state[d] = s;
            value[d] = v;
            need[d] = nd;
            len[d] = ln;
            for (int k = tokenStart[i], end = tokenStart[i + 1]; k < end; k++) {
                int id = tokens[k];
                mask[id >>> 6] |= 1L << id;
            }
            i++;
        }
        if (at.atCharBoundary() && at.state().accepting) {
            for (int id : endTokens) mask[id >>> 6] |= 1L << id;
        }
        return mask;
    }
}
