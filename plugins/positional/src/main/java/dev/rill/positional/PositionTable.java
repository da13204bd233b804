package dev.rill.positional;

import java.util.Arrays;

/**
 * A fixed function of position tabulated row by row ({@code width} floats per position), computed
 * on first use and grown by doubling up to {@code maxPositions}: a model configured for a long
 * context pays only for the positions it actually runs. Readers run concurrently (the model's
 * loops are parallel); growth is serialised and publishes a new, longer array.
 */
final class PositionTable {

    /** Writes the row of position {@code pos} into {@code table[off .. off+width)}. */
    @FunctionalInterface
    interface Row {
        void fill(int pos, float[] table, int off);
    }

    private static final int FIRST_ROWS = 256;

    private final String what;
    private final int width, maxPositions;
    private final Row row;
    private volatile float[] table = new float[0];

    /** @param what names the encoding in error messages, e.g. {@code "rope"} */
    PositionTable(String what, int width, int maxPositions, Row row) {
        this.what = what;
        this.width = width;
        this.maxPositions = maxPositions;
        this.row = row;
    }

    /** A table holding at least row {@code pos}; row {@code p} starts at {@code p * width}. */
    float[] upTo(int pos) {
        float[] t = table;
        if (pos >= 0 && (long) (pos + 1) * width <= t.length) return t;
        return grow(pos);
    }

    private synchronized float[] grow(int pos) {
        if (pos < 0 || pos >= maxPositions) {
            throw new IllegalArgumentException(what + " positions exist for 0.." + (maxPositions - 1)
                    + " (the configured maximum context); position " + pos + " asked");
        }
        float[] t = table;
        int have = t.length / width;
        if (pos < have) return t;
        int rows = (int) Math.min(maxPositions, Math.max(pos + 1L, Math.max(FIRST_ROWS, 2L * have)));
        float[] grown = Arrays.copyOf(t, Math.multiplyExact(rows, width));
        for (int p = have; p < rows; p++) row.fill(p, grown, p * width);
        table = grown;
        return grown;
    }
}
