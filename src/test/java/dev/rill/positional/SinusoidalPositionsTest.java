package dev.rill.positional;

import dev.rill.model.Gpt;
import dev.rill.spi.ModelShape;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SinusoidalPositionsTest {

    static final int C = 16;

    static PositionalEncoder encoder(Map<String, ?> params, int maxContext) {
        return new SinusoidalPositions().create(new ModelShape(C, 2, C / 2, 32, maxContext), Params.resolve(new SinusoidalPositions(), params));
    }

    static float[] row(PositionalEncoder pe, int pos) {
        float[] x = new float[C + 3];
        pe.embed(List.of(), x, 2, pos);
        return x;
    }

    @Test
    void tableMatchesVaswaniFormula() {
        PositionalEncoder pe = encoder(Map.of("scale", 1), 10000);
        // Position 0: sin 0 = 0 in even columns, cos 0 = 1 in odd ones.
        float[] zero = row(pe, 0);
        for (int k = 0; k < C; k++) assertEquals(k % 2 == 0 ? 0f : 1f, zero[2 + k], 0f);
        // Position 1, i = 0: sin(1), cos(1).
        float[] one = row(pe, 1);
        assertEquals(0.8414709848, one[2], 1e-7);
        assertEquals(0.5403023059, one[3], 1e-7);
        // Chosen (pos, i): PE(pos, 2i) = sin(pos / 10000^(2i/16)), PE(pos, 2i+1) = cos(...).
        int[][] chosen = {{7, 3}, {100, 1}, {513, 7}, {9999, 5}, {4000, 0}};
        for (int[] pi : chosen) {
            int pos = pi[0], i = pi[1];
            double angle = pos / Math.pow(10000, 2.0 * i / C);
            float[] r = row(pe, pos);
            assertEquals(Math.sin(angle), r[2 + 2 * i], 2e-6, "PE(" + pos + ", " + 2 * i + ")");
            assertEquals(Math.cos(angle), r[2 + 2 * i + 1], 2e-6, "PE(" + pos + ", " + (2 * i + 1) + ")");
        }
        // The edges of x around the row are untouched.
        assertEquals(0f, one[0]);
        assertEquals(0f, one[C + 2]);
    }

    @Test
    void addsToWhatIsThereAndDoesNotDependOnOrderOfUse() {
        PositionalEncoder late = encoder(Map.of(), 5000), early = encoder(Map.of(), 5000);
        float[] far = row(late, 4999);      // grows the table straight to its end
        float[] near = row(late, 3);
        assertArrayEquals(row(early, 3), near);
        assertArrayEquals(row(early, 4999), far);
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        float[] pe = row(early, 42);
        early.embed(List.of(), x, 0, 42);
        for (int k = 0; k < C; k++) assertEquals(k + 1 + pe[2 + k], x[k], 1e-6);
    }

    @Test
    void baseSetsTheWavelengthsAndScaleTheAmplitude() {
        PositionalEncoder pe = encoder(Map.of("base", 100, "scale", 1), 64);
        float[] r = row(pe, 5);
        assertEquals(Math.sin(5 / Math.pow(100, 6.0 / C)), r[2 + 6], 1e-6);
        // The default scale is 0.1.
        float[] scaled = row(encoder(Map.of(), 64), 5);
        for (int i = 0; i < C / 2; i++) {
            double angle = 5 / Math.pow(10000, 2.0 * i / C);
            assertEquals(0.1 * Math.sin(angle), scaled[2 + 2 * i], 1e-7);
            assertEquals(0.1 * Math.cos(angle), scaled[2 + 2 * i + 1], 1e-7);
        }
    }

    @Test
    void definedUpToTheMaximumContextAndNoFurther() {
        PositionalEncoder pe = encoder(Map.of(), 40);
        assertEquals(40, pe.maxPositions());
        row(pe, 39);
        var e = assertThrows(IllegalArgumentException.class, () -> row(pe, 40));
        assertTrue(e.getMessage().contains("0..39") && e.getMessage().contains("40"), e.getMessage());
    }

    @Test
    void positionReachesTheOutputThoughNothingIsTrained() {
        Gpt sinusoidal = TinyGpt.build("sinusoidal", 11, 8, 1, 2, 8, 8), none = TinyGpt.build("none", 11, 8, 1, 2, 8, 8);
        assertTrue(sinusoidal.positional.parameters().isEmpty());
        assertFalse(sinusoidal.parameters().stream().anyMatch(p -> p.name().contains("wpe")));
        assertEquals(none.parameterCount(), sinusoidal.parameterCount());
        TinyGpt.randomize(none, 3, 0.3);
        System.arraycopy(none.params, 0, sinusoidal.params, 0, none.params.length);
        // One token repeated: without positions every row of a causal model's output is the same.
        int[] same = new int[8];
        java.util.Arrays.fill(same, 4);
        none.forward(same, null, 1, 8);
        sinusoidal.forward(same, null, 1, 8);
        float[] a = none.logits(), b = sinusoidal.logits();
        for (int v = 0; v < 11; v++) assertEquals(a[v], a[7 * 11 + v], 1e-5);
        double moved = 0;
        for (int v = 0; v < 11; v++) moved += Math.abs(b[v] - b[7 * 11 + v]);
        assertTrue(moved > 1e-2, "sinusoidal positions must change the output along the sequence: " + moved);
    }
}
