package dev.rill.positional;

import dev.rill.spi.ModelShape;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AlibiPositionsTest {

    @Test
    void slopesOfThePaper() {
        assertArrayEquals(new double[]{0.25, 0.0625, 0.015625, 0.00390625}, AlibiPositions.slopes(4), 1e-15);
        assertArrayEquals(new double[]{0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625},
                AlibiPositions.slopes(8), 1e-15);
        // Not a power of two: the 4-head slopes, then every other slope of 8 heads.
        assertArrayEquals(new double[]{0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125}, AlibiPositions.slopes(6), 1e-15);
        double r = Math.sqrt(0.5);
        assertArrayEquals(new double[]{0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625,
                r, r / 2, r / 4, r / 8}, AlibiPositions.slopes(12), 1e-15);
        assertArrayEquals(new double[]{0.00390625}, AlibiPositions.slopes(1), 1e-15);
    }

    static PositionalEncoder alibi(int nHead, int maxContext) {
        return new AlibiPositions().create(new ModelShape(8 * nHead, nHead, 8, 16, maxContext), Params.EMPTY);
    }

    @Test
    void biasMatrixOfASmallCase() {
        PositionalEncoder pe = alibi(4, 16);
        assertTrue(pe.biasesScores());
        // Causal 4×4 score rows, all zero before the bias, for head 0 (slope 1/4) and head 3 (slope 1/256).
        float[][] head0 = {{0}, {-0.25f, 0}, {-0.5f, -0.25f, 0}, {-0.75f, -0.5f, -0.25f, 0}};
        float[][] head3 = {{0}, {-1 / 256f, 0}, {-2 / 256f, -1 / 256f, 0}, {-3 / 256f, -2 / 256f, -1 / 256f, 0}};
        for (int i = 0; i < 4; i++) {
            float[] row0 = new float[i + 1], row3 = new float[i + 1];
            pe.scoreBias(0, i, 0, row0, 0, i + 1);
            pe.scoreBias(3, i, 0, row3, 0, i + 1);
            assertArrayEquals(head0[i], row0, 0f, "head 0 row " + i);
            assertArrayEquals(head3[i], row3, 0f, "head 3 row " + i);
        }
    }

    @Test
    void biasAddsToScoresAndHonoursTheFirstKeyPosition() {
        PositionalEncoder pe = alibi(4, 16);
        // Query at 10 against keys 7..10, written at offset 2 of a row that already holds scores.
        float[] scores = {9, 9, 1, 2, 3, 4, 9};
        pe.scoreBias(1, 10, 7, scores, 2, 4);
        assertArrayEquals(new float[]{9, 9, 1 - 3 * 0.0625f, 2 - 2 * 0.0625f, 3 - 0.0625f, 4, 9}, scores, 0f);
    }

    @Test
    void noParametersAndDefinedUpToTheMaximumContext() {
        PositionalEncoder pe = alibi(6, 4096);
        assertTrue(pe.parameters().isEmpty());
        assertEquals(4096, pe.maxPositions());
        float[] far = new float[1];
        pe.scoreBias(4, 4095, 0, far, 0, 1);               // the farthest key: slope 0.5 × 4095
        assertEquals(-0.5f * 4095, far[0], 0f);
    }
}
