package dev.rill.sampler.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pushdown automaton of a {@link Grammar}, built lazily and memoized. A parse stack is a
 * persistent linked list of grammar positions ({@link Frame}), interned so that equal stacks are
 * one object; a {@link State} is an interned set of stacks whose tops are character classes (the
 * empty stack, {@link #ACCEPT}, means "complete"). Reading a code point maps a state to the next,
 * and each state remembers its transitions, so walking a vocabulary's token trie revisits the same
 * few states with an array or hash look-up per byte.
 *
 * <p>Not thread-safe: one sampling thread uses one matcher (see {@link Constraint}).
 */
public final class Matcher {

    /** Nested references deeper than this are refused (a runaway document, not a useful one). */
    public static final int MAX_DEPTH = 2048;
    /** Interned stacks beyond this make the matcher refuse to grow (the caller starts a fresh one). */
    static final int MAX_FRAMES = 1 << 20;

    final Grammar g;
    private final Map<Long, Frame> frames = new HashMap<>();
    private final Map<StateKey, State> states = new HashMap<>();
    private int nextFrameId = 1;
    /** The empty stack: the document is complete. */
    final Frame ACCEPT = new Frame(-1, null, 0, 0);
    /** A transition that has no target. */
    final State DEAD = new State(new Frame[0]);
    final State start;

    /** One grammar position on a parse stack, and the stack below it. */
    static final class Frame {
        final int pos, id, depth;
        final Frame parent;
        Frame[] expanded;
        /** Fewest code points from this stack to the end, once computed (-1: not yet). */
        int minRest = -1;

        Frame(int pos, Frame parent, int id, int depth) {
            this.pos = pos;
            this.parent = parent;
            this.id = id;
            this.depth = depth;
        }
    }

    private record StateKey(int[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof StateKey k && Arrays.equals(ids, k.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }
    }

    /** A set of parse stacks, each with a character class on top (or empty); its transitions are memoized. */
    public final class State {
        final Frame[] stacks;
        final boolean accepting, continues;
        private final State[] ascii = new State[128];
        private int[] cpKeys;
        private State[] cpValues;
        private int cpCount;
        /** The cached token mask at this state (a token boundary with no partial character), or null. */
        long[] mask;
        int maskUse;

        State(Frame[] stacks) {
            this.stacks = stacks;
            boolean acc = false, cont = false;
            for (Frame f : stacks) {
                if (f == ACCEPT) acc = true;
                else cont = true;
            }
            this.accepting = acc;
            this.continues = cont;
        }

        /** Whether the grammar is complete here. */
        public boolean accepting() {
            return accepting;
        }

        /** Whether more text can follow. */
        public boolean continues() {
            return continues;
        }

        /** The state after code point {@code cp}, or {@link #DEAD}. */
        State next(int cp) {
            if (cp < 128) {
                State s = ascii[cp];
                if (s == null) ascii[cp] = s = advance(this, cp);
                return s;
            }
            if (cpKeys != null) {
                int mask = cpKeys.length - 1;
                for (int i = mix(cp) & mask; ; i = (i + 1) & mask) {
                    if (cpValues[i] == null) break;
                    if (cpKeys[i] == cp) return cpValues[i];
                }
            }
            State s = advance(this, cp);
            putCp(cp, s);
            return s;
        }

        private void putCp(int cp, State s) {
            if (cpKeys == null || (cpCount + 1) * 2 > cpKeys.length) {
                int[] oldK = cpKeys;
                State[] oldV = cpValues;
                int size = oldK == null ? 16 : oldK.length * 2;
                cpKeys = new int[size];
                cpValues = new State[size];
                cpCount = 0;
                if (oldK != null) for (int i = 0; i < oldK.length; i++) if (oldV[i] != null) putCp(oldK[i], oldV[i]);
            }
            int mask = cpKeys.length - 1;
            int i = mix(cp) & mask;
            while (cpValues[i] != null) i = (i + 1) & mask;
            cpKeys[i] = cp;
            cpValues[i] = s;
            cpCount++;
        }

        /**
         * Whether some code point in {@code [lo, hi]} (surrogates excluded) can be read here: the test
         * for a token that ends inside a multi-byte character.
         */
        boolean accepts(int lo, int hi) {
            for (Frame f : stacks) {
                if (f == ACCEPT) continue;
                CharClass c = g.classes[g.arg[f.pos]];
                if (lo <= Math.min(hi, 0xD7FF) && c.intersects(lo, Math.min(hi, 0xD7FF))) return true;
                if (Math.max(lo, 0xE000) <= hi && c.intersects(Math.max(lo, 0xE000), hi)) return true;
            }
            return false;
        }

        // Self-loops: the bytes after which this state is itself again (computed on first use).
        private boolean loopsKnown;
        long loopLo, loopHi;
        boolean loopHigh;

        /**
         * Computes {@link #loopLo}/{@link #loopHi} (ASCII characters that lead back to this state) and
         * {@link #loopHigh} (every non-ASCII character does): inside a JSON string, almost every
         * character does, and whole subtrees of the token trie can be allowed without walking them.
         */
        void computeLoops() {
            if (loopsKnown) return;
            loopsKnown = true;
            for (int c = 0; c < 128; c++) {
                if (next(c) == this) {
                    if (c < 64) loopLo |= 1L << c;
                    else loopHi |= 1L << (c - 64);
                }
            }
            // Which frames' classes hold a code point decides where it leads: one code point per interval between class bounds.
            java.util.TreeSet<Integer> bounds = new java.util.TreeSet<>(List.of(0x80, 0xD800, 0xE000));
            for (Frame f : stacks) {
                if (f == ACCEPT) continue;
                g.classes[g.arg[f.pos]].addBounds(bounds);
            }
            boolean all = true;
            for (int b : bounds) {
                if (b < 0x80 || b > CharClass.MAX_CODE_POINT || b >= 0xD800 && b < 0xE000) continue;
                if (next(b) != this) {
                    all = false;
                    break;
                }
            }
            loopHigh = all && continues;
        }

        /** What could come next, for error messages. */
        public String expected() {
            List<String> out = new ArrayList<>();
            for (Frame f : stacks) {
                if (f == ACCEPT) continue;
                String d = g.classes[g.arg[f.pos]].describe();
                if (!out.contains(d)) out.add(d);
            }
            if (accepting) out.add("the end");
            return String.join(" or ", out);
        }
    }

    private static int mix(int x) {
        x *= 0x9E3779B1;
        return x ^ (x >>> 15);
    }

    public Matcher(Grammar grammar) {
        this.g = grammar;
        // The root rule's alternatives, each a stack of its own.
        List<Frame> tops = new ArrayList<>();
        for (int a : g.alternatives[g.root]) addAll(tops, expand(push(a, ACCEPT)));
        start = intern(tops);
        if (start == DEAD) throw new IllegalArgumentException("the grammar matches nothing");
    }

    public State start() {
        return start;
    }

    public Grammar grammar() {
        return g;
    }

    /** How many stacks are interned (for the owner's size limit). */
    public int size() {
        return frames.size();
    }

    private Frame frame(int pos, Frame parent) {
        long key = ((long) pos << 32) | (parent.id & 0xffffffffL);
        Frame f = frames.get(key);
        if (f == null) {
            if (parent.depth + 1 > MAX_DEPTH) {
                throw new IllegalArgumentException("the document nests deeper than " + MAX_DEPTH + " levels of the grammar");
            }
            if (frames.size() >= MAX_FRAMES) {
                throw new IllegalArgumentException("the grammar's parse state grew beyond " + MAX_FRAMES + " stacks; simplify the grammar");
            }
            f = new Frame(pos, parent, nextFrameId++, parent.depth + 1);
            frames.put(key, f);
        }
        return f;
    }

    /** The stack with {@code pos} on top of {@code parent}; a position at the end of its alternative is popped at once. */
    private Frame push(int pos, Frame parent) {
        return g.kind[pos] == Grammar.END ? parent : frame(pos, parent);
    }

    /** Every stack {@code f} can become by expanding rule references on top, until a character class (or nothing) is on top. */
    private Frame[] expand(Frame f) {
        if (f.expanded != null) return f.expanded;
        List<Frame> out = new ArrayList<>();
        List<Frame> work = new ArrayList<>();
        java.util.Set<Frame> seen = new java.util.HashSet<>();
        work.add(f);
        while (!work.isEmpty()) {
            Frame x = work.removeLast();
            if (!seen.add(x)) continue;
            if (x == ACCEPT || g.kind[x.pos] == Grammar.CHAR) {
                out.add(x);
                continue;
            }
            int rule = g.arg[x.pos];
            Frame continuation = push(x.pos + 1, x.parent);
            for (int a : g.alternatives[rule]) work.add(push(a, continuation));
        }
        out.sort((a, b) -> Integer.compare(a.id, b.id));
        f.expanded = out.toArray(Frame[]::new);
        return f.expanded;
    }

    private static void addAll(List<Frame> into, Frame[] from) {
        into.addAll(Arrays.asList(from));
    }

    private State advance(State s, int cp) {
        List<Frame> out = new ArrayList<>();
        for (Frame f : s.stacks) {
            if (f == ACCEPT || !g.classes[g.arg[f.pos]].matches(cp)) continue;
            addAll(out, expand(push(f.pos + 1, f.parent)));
        }
        return intern(out);
    }

    private State intern(List<Frame> list) {
        if (list.isEmpty()) return DEAD;
        list.sort((a, b) -> Integer.compare(a.id, b.id));
        int n = 0;
        Frame[] arr = new Frame[list.size()];
        for (Frame f : list) if (n == 0 || arr[n - 1] != f) arr[n++] = f;
        Frame[] set = Arrays.copyOf(arr, n);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = set[i].id;
        return states.computeIfAbsent(new StateKey(ids), k -> new State(set));
    }

    // ---- reading bytes: a position between tokens may fall inside a UTF-8 character ----

    /**
     * Where reading stands: a state and, when the last bytes began a multi-byte character, the bits
     * read so far ({@code value}), how many continuation bytes are still due ({@code need}) and the
     * character's length ({@code len}).
     */
    public record Position(State state, int value, int need, int len) {
        public boolean atCharBoundary() {
            return need == 0;
        }
    }

    public Position startPosition() {
        return new Position(start, 0, 0, 0);
    }

    /**
     * Reads {@code bytes} from {@code at}; {@code null} if the grammar does not allow them (or they are
     * not UTF-8 that could become allowed characters).
     */
    public Position read(Position at, byte[] bytes) {
        State s = at.state;
        int value = at.value, need = at.need, len = at.len;
        for (byte x : bytes) {
            int b = x & 0xFF;
            if (need == 0) {
                if (b < 0x80) {
                    s = s.next(b);
                    if (s == DEAD) return null;
                    continue;
                }
                if (b >= 0xC2 && b <= 0xDF) {
                    value = b & 0x1F;
                    need = 1;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    value = b & 0x0F;
                    need = 2;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    value = b & 0x07;
                    need = 3;
                } else {
                    return null;
                }
                len = need + 1;
            } else {
                if ((b & 0xC0) != 0x80) return null;
                value = (value << 6) | (b & 0x3F);
                need--;
                if (need == 0) {
                    if (!validScalar(value, len)) return null;
                    s = s.next(value);
                    if (s == DEAD) return null;
                    continue;
                }
            }
            if (!partialPossible(s, value, need, len)) return null;
        }
        return new Position(s, value, need, len);
    }

    /** Whether the bits read so far can still end as a character the state accepts. */
    boolean partialPossible(State s, int value, int need, int len) {
        int shift = 6 * need;
        int lo = Math.max(value << shift, MIN_OF_LENGTH[len]);
        int hi = Math.min((value << shift) | ((1 << shift) - 1), MAX_OF_LENGTH[len]);
        return lo <= hi && s.accepts(lo, hi);
    }

    static final int[] MIN_OF_LENGTH = {0, 0, 0x80, 0x800, 0x10000};
    static final int[] MAX_OF_LENGTH = {0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF};

    static boolean validScalar(int cp, int len) {
        return cp >= MIN_OF_LENGTH[len] && cp <= MAX_OF_LENGTH[len] && (cp < 0xD800 || cp > 0xDFFF);
    }

    // ---- the shortest way to a complete document (drives random test documents to an end) ----

    private int[] ruleMin;

    /** The fewest code points that complete a document from {@code at} (a partial character counts as one). */
    public int minRemaining(Position at) {
        if (ruleMin == null) ruleMin = ruleMinima();
        int best = Integer.MAX_VALUE;
        for (Frame f : at.state.stacks) best = Math.min(best, minRemaining(f));
        return at.need == 0 ? best : best + 1;
    }

    private int minRemaining(Frame f) {
        if (f == ACCEPT) return 0;
        if (f.minRest < 0) {
            // Parents first, iteratively: stacks can be deep.
            java.util.ArrayDeque<Frame> todo = new java.util.ArrayDeque<>();
            for (Frame x = f; x != ACCEPT && x.minRest < 0; x = x.parent) todo.push(x);
            while (!todo.isEmpty()) {
                Frame x = todo.pop();
                x.minRest = saturatedAdd(sequenceMin(x.pos, ruleMin), x.parent == ACCEPT ? 0 : x.parent.minRest);
            }
        }
        return f.minRest;
    }

    private int sequenceMin(int pos, int[] rm) {
        int sum = 0;
        for (int p = pos; g.kind[p] != Grammar.END; p++) sum = saturatedAdd(sum, g.kind[p] == Grammar.CHAR ? 1 : rm[g.arg[p]]);
        return sum;
    }

    private int[] ruleMinima() {
        int[] rm = new int[g.alternatives.length];
        Arrays.fill(rm, Integer.MAX_VALUE);
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int r = 0; r < rm.length; r++) {
                for (int a : g.alternatives[r]) {
                    int m = sequenceMin(a, rm);
                    if (m < rm[r]) {
                        rm[r] = m;
                        changed = true;
                    }
                }
            }
        }
        return rm;
    }

    private static int saturatedAdd(int a, int b) {
        long s = (long) a + b;
        return s > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) s;
    }

    /** Reads a whole string (for tests and validation). */
    public boolean matches(String text) {
        Position p = read(startPosition(), text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return p != null && p.need == 0 && p.state.accepting;
    }
}
