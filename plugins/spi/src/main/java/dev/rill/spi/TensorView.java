package dev.rill.spi;

/** A float32 tensor living at {@code offset} inside a larger array (the model's parameter or gradient buffer). */
public record TensorView(float[] data, int offset, int size) {
}
