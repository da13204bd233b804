package dev.rill.sampler.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of Unicode code points: sorted, disjoint, non-adjacent inclusive ranges (negated classes are
 * complemented when built, so matching never has to think about negation). ASCII is looked up in
 * a table.
 */
public final class CharClass {

    public static final int MAX_CODE_POINT = 0x10FFFF;

    /** {@code lo0, hi0, lo1, hi1, ...}, sorted and disjoint. */
    private final int[] ranges;
    private final boolean[] ascii = new boolean[128];

    private CharClass(int[] ranges) {
        this.ranges = ranges;
        for (int c = 0; c < 128; c++) ascii[c] = search(c);
    }

    /** The class of {@code [lo, hi]} pairs (any order, may overlap); {@code negated} complements it. */
    public static CharClass of(List<int[]> pairs, boolean negated) {
        List<int[]> sorted = new ArrayList<>(pairs);
        sorted.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<int[]> merged = new ArrayList<>();
        for (int[] p : sorted) {
            if (p[0] > p[1]) throw new IllegalArgumentException("character range " + show(p[0]) + "-" + show(p[1]) + " is reversed");
            if (!merged.isEmpty() && p[0] <= merged.getLast()[1] + 1) {
                merged.getLast()[1] = Math.max(merged.getLast()[1], p[1]);
            } else {
                merged.add(new int[]{p[0], p[1]});
            }
        }
        if (negated) {
            List<int[]> complement = new ArrayList<>();
            int next = 0;
            for (int[] p : merged) {
                if (p[0] > next) complement.add(new int[]{next, p[0] - 1});
                next = p[1] + 1;
            }
            if (next <= MAX_CODE_POINT) complement.add(new int[]{next, MAX_CODE_POINT});
            merged = complement;
        }
        int[] r = new int[merged.size() * 2];
        for (int i = 0; i < merged.size(); i++) {
            r[2 * i] = merged.get(i)[0];
            r[2 * i + 1] = merged.get(i)[1];
        }
        return new CharClass(r);
    }

    public static CharClass single(int cp) {
        return new CharClass(new int[]{cp, cp});
    }

    public static CharClass any() {
        return new CharClass(new int[]{0, MAX_CODE_POINT});
    }

    public boolean matches(int cp) {
        return cp < 128 ? cp >= 0 && ascii[cp] : search(cp);
    }

    private boolean search(int cp) {
        int lo = 0, hi = ranges.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (cp < ranges[2 * mid]) hi = mid - 1;
            else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    /** Whether some code point in {@code [lo, hi]} is in the class. */
    public boolean intersects(int lo, int hi) {
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] > hi) return false;
            if (ranges[i + 1] >= lo) return true;
        }
        return false;
    }

    /** Adds where membership can change: each range's start and the point after its end. */
    void addBounds(java.util.Set<Integer> bounds) {
        for (int i = 0; i < ranges.length; i += 2) {
            bounds.add(ranges[i]);
            bounds.add(ranges[i + 1] + 1);
        }
    }

    public boolean isEmpty() {
        return ranges.length == 0;
    }

    /** For error messages: {@code 'a'}, {@code '0'-'9'}, or {@code any character}. */
    public String describe() {
        if (ranges.length == 2 && ranges[0] == 0 && ranges[1] == MAX_CODE_POINT) return "any character";
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < ranges.length && shown < 8; i += 2, shown++) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(show(ranges[i]));
            if (ranges[i + 1] != ranges[i]) sb.append('-').append(show(ranges[i + 1]));
        }
        if (ranges.length / 2 > shown) sb.append(", ...");
        return sb.toString();
    }

    static String show(int cp) {
        if (cp >= 0x20 && cp < 0x7F && cp != '\'' && cp != '\\') return "'" + (char) cp + "'";
        return switch (cp) {
            case '\n' -> "'\\n'";
            case '\t' -> "'\\t'";
            case '\r' -> "'\\r'";
            case '\'' -> "'\\''";
            case '\\' -> "'\\\\'";
            default -> String.format("U+%04X", cp);
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharClass c && Arrays.equals(ranges, c.ranges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ranges);
    }
}
