package dev.rill.backend.cpu;

import static dev.rill.spi.BlockFormats.QK;

/**
 * An activation row quantized to int8 per block of 32 (scale {@code d = amax/127}, values in
 * −127..127), held in 16-bit lanes: the integer operand of the Q4_0 dot product. llama.cpp
 * quantizes activations the same way (to Q8_0) before its integer kernels. Done once per matrix
 * product and reused for every weight row, it turns each multiply into a 16-bit integer multiply
 * instead of a 4-bit → float conversion per weight.
 *
 * @param q the quantized values, in the row's order
 * @param d each block's scale
 */
public record Int8Activations(short[] q, float[] d) {

    /** {@code x[xo .. xo+n)} quantized; {@code n} must be a multiple of 32. */
    public static Int8Activations of(float[] x, int xo, int n) {
        if (n % QK != 0) throw new IllegalArgumentException("int8 activations need a multiple of " + QK + " values, got " + n);
        short[] q = new short[n];
        float[] d = new float[n / QK];
        for (int b = 0; b < d.length; b++) {
            int o = xo + b * QK;
            float amax = 0;
            for (int i = 0; i < QK; i++) amax = Math.max(amax, Math.abs(x[o + i]));
            d[b] = amax / 127;
            float id = amax == 0 ? 0 : 127 / amax;
            for (int i = 0; i < QK; i++) q[b * QK + i] = (short) Math.round(x[o + i] * id);
        }
        return new Int8Activations(q, d);
    }

    /** The values these stand for, {@code q·d}. */
    public float[] toFloats() {
        float[] x = new float[q.length];
        for (int i = 0; i < q.length; i++) x[i] = q[i] * d[i / QK];
        return x;
    }
}
