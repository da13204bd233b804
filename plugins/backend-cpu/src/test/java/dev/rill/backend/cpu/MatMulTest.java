package dev.rill.backend.cpu;

import dev.rill.spi.F32Tensor;
import dev.rill.spi.Linear;
import dev.rill.spi.Tensor.DType;
import dev.rill.tensor.Parallel;
import org.junit.jupiter.api.Test;

import static dev.rill.backend.cpu.QuantKernelsTest.gaussian;
import static dev.rill.backend.cpu.QuantKernelsTest.mapped;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Several linears over one input in one loop ({@link MatMul#forward(Linear[], float[], int, float[][])})
 * give, bit for bit, what each gives alone — on two threads, where their groups share one loop.
 */
class MatMulTest {

    /**
     * A thread quantizes its products' activations into arrays it keeps: a product after larger and
     * different ones on the same thread gives, bit for bit, what it gives on a fresh thread.
     */
    @Test
    void reusedActivationArraysLeaveNothingBehind() throws Exception {
        int in = 768, out = 37;
        for (DType t : new DType[]{DType.Q4_0, DType.Q8_0, DType.Q4_K, DType.Q5_K, DType.Q6_K}) {
            Linear lin = new Linear(mapped(t, gaussian(out * in, 70, 0.4f), out, in), null, Linear.Layout.OUT_IN);
            float[] big = gaussian(9 * in, 71, 3f), small = gaussian(3 * in, 72, 1f);
            float[] fresh = new float[3 * out], reused = new float[3 * out];
            Thread first = new Thread(() -> MatMul.forward(lin, small, 3, fresh));
            first.start();
            first.join();
            MatMul.forward(lin, big, 9, new float[9 * out]);
            MatMul.forward(new Linear[]{lin, lin}, big, 9, new float[][]{new float[9 * out], new float[9 * out]});
            MatMul.forward(lin, small, 3, reused);
            assertArrayEquals(fresh, reused, t + ": after larger products on the same thread");
        }
    }

    @Test
    void severalLinearsOverOneInputGiveWhatEachGivesAlone() {
        int in = 768;
        int[] outs = {37, 16, 50}; // a padded last group, one group, several
        DType[] types = {DType.Q4_K, DType.Q6_K, DType.Q4_0};
        Linear[] lins = new Linear[outs.length];
        for (int i = 0; i < outs.length; i++) {
            float[] bias = i == 1 ? gaussian(outs[i], 90 + i, 1f) : null;
            lins[i] = new Linear(mapped(types[i], gaussian(outs[i] * in, 80 + i, 0.4f), outs[i], in),
                    bias == null ? null : F32Tensor.vector(bias, 0, bias.length), Linear.Layout.OUT_IN);
        }
        // The last case mixes in heap F32 weights, which take the one-by-one path.
        Linear heap = new Linear(F32Tensor.of(gaussian(24 * in, 99, 0.4f), 0, 24, in), null, Linear.Layout.OUT_IN);
        try (Parallel pool = new Parallel(2)) {
            for (Linear[] set : new Linear[][]{lins, {lins[0], heap, lins[2]}}) {
                for (int M : new int[]{1, 3, 9}) {
                    float[] x = gaussian(M * in, M, 1f);
                    float[][] alone = new float[set.length][], together = new float[set.length][];
                    for (int i = 0; i < set.length; i++) {
                        alone[i] = new float[M * set[i].out()];
                        together[i] = new float[M * set[i].out()];
                        Linear lin = set[i];
                        float[] y = alone[i];
                        pool.run(() -> MatMul.forward(lin, x, M, y));
                    }
                    pool.run(() -> MatMul.forward(set, x, M, together));
                    for (int i = 0; i < set.length; i++) assertArrayEquals(alone[i], together[i], "linear " + i + ", " + M + " rows");
                }
            }
        }
    }
}
