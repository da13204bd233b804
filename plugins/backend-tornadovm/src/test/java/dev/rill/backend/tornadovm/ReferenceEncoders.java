package dev.rill.backend.tornadovm;

import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;

/**
 * Textbook positional encoders that use the hooks the learned table does not (rotate, scoreBias),
 * written from the papers' formulas for these tests. The real plugins live in plugins/positional.
 */
final class ReferenceEncoders {

    private ReferenceEncoders() {
    }

    /** An encoder without parameters, defined for positions {@code 0 .. positions()-1}. */
    interface Parameterless extends PositionalEncoder {
        int positions();

        @Override
        default Params params() {
            return Params.EMPTY;
        }

        @Override
        default int maxPositions() {
            return positions();
        }
    }

    /**
     * RoPE (RoFormer): dimension pair {@code k} turns by {@code pos · base^(−2k/rotary)}. Pairs are
     * {@code (2k, 2k+1)} when {@code interleaved} (Meta), else {@code (k, k + rotary/2)} (HF rotate_half).
     * Only the first {@code rotary} dimensions of a head turn (partial rotary).
     */
    record Rope(int headDim, int rotary, double base, boolean interleaved, int positions) implements Parameterless {

        double angle(int pair, int pos) {
            return pos * Math.pow(base, -2.0 * pair / rotary);
        }

        int first(int pair) {
            return interleaved ? 2 * pair : pair;
        }

        int second(int pair) {
            return interleaved ? 2 * pair + 1 : pair + rotary / 2;
        }

        @Override
        public boolean rotates() {
            return true;
        }

        @Override
        public void rotate(float[] v, int off, int pos) {
            for (int k = 0; k < rotary / 2; k++) {
                double cos = Math.cos(angle(k, pos)), sin = Math.sin(angle(k, pos));
                int i = off + first(k), j = off + second(k);
                float x = v[i], y = v[j];
                v[i] = (float) (x * cos - y * sin);
                v[j] = (float) (x * sin + y * cos);
            }
        }
    }

    /** ALiBi: head {@code h} adds {@code −slope_h · (queryPos − keyPos)}, slopes {@code 2^(−8(h+1)/nHead)}. */
    record Alibi(int nHead, int positions) implements Parameterless {

        double slope(int head) {
            return Math.pow(2, -8.0 * (head + 1) / nHead);
        }

        @Override
        public boolean biasesScores() {
            return true;
        }

        @Override
        public void scoreBias(int head, int queryPos, int keyPos0, float[] scores, int off, int n) {
            for (int j = 0; j < n; j++) scores[off + j] += (float) (-slope(head) * (queryPos - (keyPos0 + j)));
        }
    }

    /** RoPE and ALiBi at once: a model need not use just one hook. */
    record RopeAndAlibi(Rope rope, Alibi alibi) implements Parameterless {

        @Override
        public int positions() {
            return Math.min(rope.positions(), alibi.positions());
        }

        @Override
        public boolean rotates() {
            return true;
        }

        @Override
        public void rotate(float[] v, int off, int pos) {
            rope.rotate(v, off, pos);
        }

        @Override
        public boolean biasesScores() {
            return true;
        }

        @Override
        public void scoreBias(int head, int queryPos, int keyPos0, float[] scores, int off, int n) {
            alibi.scoreBias(head, queryPos, keyPos0, scores, off, n);
        }
    }
}
