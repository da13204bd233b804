package dev.rill.spi;

/**
 * A linear map {@code y = x·W + b} from {@code in()} to {@code out()} features.
 *
 * @param weight the matrix
 * @param bias   {@code out()} values, or {@code null}
 * @param layout how the matrix is stored
 */
public record Linear(Tensor weight, Tensor bias, Layout layout) {

    public enum Layout {
        /** rows are inputs: {@code (in, out)}, GPT-2's Conv1D. */
        IN_OUT,
        /** rows are outputs: {@code (out, in)}, PyTorch's Linear and GGUF. */
        OUT_IN
    }

    public int in() {
        return layout == Layout.IN_OUT ? weight.rows() : weight.cols();
    }

    public int out() {
        return layout == Layout.IN_OUT ? weight.cols() : weight.rows();
    }
}
