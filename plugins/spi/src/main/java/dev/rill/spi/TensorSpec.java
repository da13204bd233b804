package dev.rill.spi;

/**
 * A trainable tensor a plugin owns.
 *
 * @param name    its name in checkpoints (Hugging Face style, e.g. {@code transformer.wpe.weight})
 * @param shape   dimensions, row-major
 * @param initStd standard deviation of the normal initialisation (0 = zeros)
 * @param decay   whether AdamW's weight decay applies to it
 */
public record TensorSpec(String name, int[] shape, float initStd, boolean decay) {

    public int size() {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }
}
