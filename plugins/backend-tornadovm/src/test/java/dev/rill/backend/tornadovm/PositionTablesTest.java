package dev.rill.backend.tornadovm;

import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.TensorView;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device tables read off an encoder's CPU hooks hold what the formulas say (no device needed):
 * the learned table's rows, RoPE's cos/sin per pair for both pairings, ALiBi's slopes; encoders
 * the tables cannot express are refused.
 */
class PositionTablesTest {

    @Test
    void learnedTableIsTheWpeRows() {
        GptConfig config = new GptConfig(10, 16, 1, 2, 8, 0, "learned", Map.of());
        PositionalEncoding learned = DeviceTests.REGISTRY.get(PositionalEncoding.class, "learned");
        PositionalEncoder pe = learned.create(Gpt.shape(config), learned.params(Map.of()));
        Gpt gpt = new Gpt(config, pe);
        gpt.initialize(3);
        Gpt.Param wpe = gpt.parameter("transformer.wpe.weight");
        PositionTables t = PositionTables.of(pe, gpt.weights().positionalWeights(), "learned", 8, 2, 4, 16);
        float[] want = java.util.Arrays.copyOfRange(gpt.params, wpe.offset(), wpe.offset() + 16 * 8);
        assertArrayEquals(want, t.additive(), 0f);
        assertNull(t.pairs());
        assertNull(t.bias());
    }

    @Test
    void interleavedRopeGivesAdjacentPairsWithCosSin() {
        var rope = new ReferenceEncoders.Rope(8, 8, 10000, true, 32);
        PositionTables t = PositionTables.of(rope, List.of(), "rope", 16, 2, 8, 32);
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5, 6, 7}, t.pairs());
        checkRotation(rope, t);
    }

    @Test
    void halfSplitPartialRopeGivesDistantPairsAndLeavesTheRest() {
        var rope = new ReferenceEncoders.Rope(16, 8, 500000, false, 40);
        PositionTables t = PositionTables.of(rope, List.of(), "rope", 32, 2, 16, 40);
        assertArrayEquals(new int[]{0, 4, 1, 5, 2, 6, 3, 7}, t.pairs());
        checkRotation(rope, t);
    }

    private static void checkRotation(ReferenceEncoders.Rope rope, PositionTables t) {
        int nPairs = t.nPairs();
        for (int pos = 0; pos < t.positions(); pos++) {
            for (int k = 0; k < nPairs; k++) {
                double angle = rope.angle(k, pos);
                int at = (pos * nPairs + k) * 4;
                String where = "pos " + pos + " pair " + k;
                assertEquals(Math.cos(angle), t.rotation()[at], 1e-6, where);
                assertEquals(-Math.sin(angle), t.rotation()[at + 1], 1e-6, where);
                assertEquals(Math.sin(angle), t.rotation()[at + 2], 1e-6, where);
                assertEquals(Math.cos(angle), t.rotation()[at + 3], 1e-6, where);
            }
        }
    }

    @Test
    void alibiTableIsSlopeTimesDistance() {
        var alibi = new ReferenceEncoders.Alibi(4, 24);
        PositionTables t = PositionTables.of(alibi, List.of(), "alibi", 16, 4, 4, 24);
        for (int h = 0; h < 4; h++) {
            for (int d = 0; d < 24; d++) assertEquals(-alibi.slope(h) * d, t.bias()[h * 24 + d], 1e-5, "head " + h + " distance " + d);
        }
        assertNull(t.additive());
    }

    @Test
    void refusesWhatTheTablesCannotExpress() {
        var notAdditive = new Stub() {
            @Override
            public boolean addsToEmbeddings() {
                return true;
            }

            @Override
            public void embed(List<TensorView> weights, float[] x, int off, int pos) {
                for (int i = 0; i < 4; i++) x[off + i] = 2 * x[off + i] + pos;
            }
        };
        var threeWay = new Rotating() {
            @Override
            public void rotate(float[] v, int off, int pos) {
                if (pos == 0) return;
                float mean = (v[off] + v[off + 1] + v[off + 2]) / 3;
                for (int i = 0; i < 3; i++) v[off + i] -= mean;
            }
        };
        var cyclic = new Rotating() {
            @Override
            public void rotate(float[] v, int off, int pos) {
                if (pos == 0) return;
                float a = v[off], b = v[off + 1], c = v[off + 2];
                v[off] = c;
                v[off + 1] = a;
                v[off + 2] = b;
            }
        };
        var scaling = new Rotating() {
            @Override
            public void rotate(float[] v, int off, int pos) {
                for (int i = 0; i < 4; i++) v[off + i] *= 1 + pos;
            }
        };
        var absolute = new Stub() {
            @Override
            public boolean biasesScores() {
                return true;
            }

            @Override
            public void scoreBias(int head, int queryPos, int keyPos0, float[] scores, int off, int n) {
                for (int j = 0; j < n; j++) scores[off + j] -= keyPos0 + j;
            }
        };
        assertRefused(notAdditive, "not an addition");
        assertRefused(threeWay, "more than one other");
        assertRefused(cyclic, "not mix dimensions in pairs");
        assertRefused(scaling, "not a set of 2-D rotations");
        assertRefused(absolute, "more than the query–key distance");
    }

    private static void assertRefused(PositionalEncoder pe, String why) {
        var e = assertThrows(IllegalArgumentException.class, () -> PositionTables.of(pe, List.of(), "odd", 4, 1, 4, 8));
        assertTrue(e.getMessage().contains("'odd'") && e.getMessage().contains(why), e.getMessage());
    }

    private abstract static class Rotating extends Stub {
        @Override
        public boolean rotates() {
            return true;
        }
    }

    private abstract static class Stub implements PositionalEncoder {
        @Override
        public Params params() {
            return Params.EMPTY;
        }

        @Override
        public int maxPositions() {
            return 8;
        }
    }
}
