package dev.rill.sampler.grammar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A context-free grammar over Unicode code points, compiled the way llama.cpp lays out GBNF: every
 * alternative of every rule is a run of positions in one array, each position a character class,
 * a rule reference, or the end of its alternative. Parse stacks (see {@link Matcher}) point into
 * these positions. Repetitions and groups were already turned into generated rules by the parser.
 */
public final class Grammar {

    static final int END = 0, CHAR = 1, RULE = 2;

    /** Per position: {@link #END}, {@link #CHAR} or {@link #RULE}. */
    final byte[] kind;
    /** Per position: the class index (CHAR) or the rule index (RULE). */
    final int[] arg;
    /** Per rule: the first position of each alternative. */
    final int[][] alternatives;
    final CharClass[] classes;
    final String[] ruleNames;
    final int root;
    /** The source text, for caching and messages. */
    final String source;

    private Grammar(byte[] kind, int[] arg, int[][] alternatives, CharClass[] classes, String[] ruleNames, int root, String source) {
        this.kind = kind;
        this.arg = arg;
        this.alternatives = alternatives;
        this.classes = classes;
        this.ruleNames = ruleNames;
        this.root = root;
        this.source = source;
    }

    /** Parses GBNF text (llama.cpp's {@code grammar} syntax). */
    public static Grammar parse(String gbnf) {
        return Gbnf.parse(gbnf);
    }

    public String source() {
        return source;
    }

    public int ruleCount() {
        return alternatives.length;
    }

    /** One element of an alternative while building: a class or a reference to a rule by index. */
    sealed interface Element permits Chars, Ref {
    }

    record Chars(CharClass chars) implements Element {
    }

    record Ref(int rule) implements Element {
    }

    /** Rules by name, each a list of alternatives; compiled once complete. */
    static final class Builder {
        private final List<String> names = new ArrayList<>();
        private final Map<String, Integer> index = new HashMap<>();
        private final List<List<List<Element>>> rules = new ArrayList<>();
        private final List<Boolean> defined = new ArrayList<>();
        private final Map<String, Integer> firstUse = new LinkedHashMap<>();

        /** The index of rule {@code name}, creating an undefined placeholder on first mention. */
        int rule(String name) {
            Integer i = index.get(name);
            if (i != null) return i;
            index.put(name, names.size());
            names.add(name);
            rules.add(new ArrayList<>());
            defined.add(false);
            return names.size() - 1;
        }

        /** A reference met while parsing (for "used but not defined"). */
        int reference(String name, int line) {
            firstUse.putIfAbsent(name, line);
            return rule(name);
        }

        /** A fresh rule for a group or repetition, named after the rule it appears in ('#' keeps it apart from written names). */
        int generated(String base) {
            String name;
            int k = names.size();
            do {
                name = base + "#" + k++;
            } while (index.containsKey(name));
            int r = rule(name);
            defined.set(r, true);
            return r;
        }

        void define(int rule, List<List<Element>> alternatives, int line) {
            if (defined.get(rule) && !rules.get(rule).isEmpty()) {
                throw new IllegalArgumentException("grammar line " + line + ": rule '" + names.get(rule) + "' is defined twice");
            }
            defined.set(rule, true);
            rules.get(rule).clear();
            rules.get(rule).addAll(alternatives);
        }

        void setAlternatives(int rule, List<List<Element>> alternatives) {
            rules.get(rule).clear();
            rules.get(rule).addAll(alternatives);
        }

        String name(int rule) {
            return names.get(rule);
        }

        Grammar build(String source, String rootName) {
            for (var use : firstUse.entrySet()) {
                int r = index.get(use.getKey());
                if (!defined.get(r)) {
                    throw new IllegalArgumentException("grammar line " + use.getValue() + ": rule '" + use.getKey() + "' is used but never defined");
                }
            }
            Integer root = index.get(rootName);
            if (root == null || !defined.get(root)) throw new IllegalArgumentException("the grammar has no '" + rootName + "' rule; it is where parsing starts");
            checkLeftRecursion();
            List<CharClass> classes = new ArrayList<>();
            Map<CharClass, Integer> classIndex = new HashMap<>();
            List<Byte> kind = new ArrayList<>();
            List<Integer> arg = new ArrayList<>();
            int[][] alts = new int[rules.size()][];
            for (int r = 0; r < rules.size(); r++) {
                List<List<Element>> rule = rules.get(r);
                alts[r] = new int[rule.size()];
                for (int a = 0; a < rule.size(); a++) {
                    alts[r][a] = kind.size();
                    for (Element e : rule.get(a)) {
                        switch (e) {
                            case Chars c -> {
                                kind.add((byte) CHAR);
                                arg.add(classIndex.computeIfAbsent(c.chars(), k -> {
                                    classes.add(k);
                                    return classes.size() - 1;
                                }));
                            }
                            case Ref ref -> {
                                kind.add((byte) RULE);
                                arg.add(ref.rule());
                            }
                        }
                    }
                    kind.add((byte) END);
                    arg.add(0);
                }
            }
            byte[] k = new byte[kind.size()];
            int[] g = new int[arg.size()];
            for (int i = 0; i < k.length; i++) {
                k[i] = kind.get(i);
                g[i] = arg.get(i);
            }
            return new Grammar(k, g, alts, classes.toArray(CharClass[]::new), names.toArray(String[]::new), root, source);
        }

        /** A rule that can start with itself (directly or through nullable prefixes) would expand forever. */
        private void checkLeftRecursion() {
            int n = rules.size();
            boolean[] nullable = new boolean[n];
            boolean changed = true;
            while (changed) {
                changed = false;
                for (int r = 0; r < n; r++) {
                    if (nullable[r]) continue;
                    for (List<Element> alt : rules.get(r)) {
                        boolean all = true;
                        for (Element e : alt) {
                            if (!(e instanceof Ref ref && nullable[ref.rule()])) {
                                all = false;
                                break;
                            }
                        }
                        if (all) {
                            nullable[r] = true;
                            changed = true;
                            break;
                        }
                    }
                }
            }
            List<List<Integer>> leftEdges = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                List<Integer> edges = new ArrayList<>();
                for (List<Element> alt : rules.get(r)) {
                    for (Element e : alt) {
                        if (!(e instanceof Ref ref)) break;
                        edges.add(ref.rule());
                        if (!nullable[ref.rule()]) break;
                    }
                }
                leftEdges.add(edges);
            }
            int[] color = new int[n];   // 0 unvisited, 1 on the path, 2 done
            for (int r = 0; r < n; r++) {
                if (color[r] == 0) visit(r, leftEdges, color);
            }
        }

        private void visit(int start, List<List<Integer>> edges, int[] color) {
            // Iterative DFS: generated grammars (deep nesting, long repetitions) can be deep.
            List<int[]> stack = new ArrayList<>();
            stack.add(new int[]{start, 0});
            color[start] = 1;
            while (!stack.isEmpty()) {
                int[] top = stack.getLast();
                List<Integer> out = edges.get(top[0]);
                if (top[1] == out.size()) {
                    color[top[0]] = 2;
                    stack.removeLast();
                    continue;
                }
                int next = out.get(top[1]++);
                if (color[next] == 1) {
                    throw new IllegalArgumentException("rule '" + names.get(next) + "' is left-recursive (it can start with itself); "
                            + "rewrite it with repetition, e.g. list ::= item (\",\" item)*");
                }
                if (color[next] == 0) {
                    color[next] = 1;
                    stack.add(new int[]{next, 0});
                }
            }
        }
    }
}
