package dev.rill.spi;

import java.lang.foreign.MemorySegment;

/**
 * A float32 matrix on the heap, at {@code offset} inside {@code data}, row {@code r} starting at
 * {@code offset + r * rowStride} (a stride wider than {@code cols} views columns of a wider matrix).
 */
public record F32Tensor(float[] data, int offset, int rows, int cols, int rowStride) implements Tensor {

    public F32Tensor {
        if (rows < 0 || cols < 0 || rowStride < cols) throw new IllegalArgumentException("bad tensor shape " + rows + "x" + cols + " stride " + rowStride);
        if (rows > 0 && (long) offset + (long) (rows - 1) * rowStride + cols > data.length) {
            throw new IllegalArgumentException("tensor " + rows + "x" + cols + " at " + offset + " overruns its array of " + data.length);
        }
    }

    public static F32Tensor of(float[] data, int offset, int rows, int cols) {
        return new F32Tensor(data, offset, rows, cols, cols);
    }

    public static F32Tensor vector(float[] data, int offset, int length) {
        return new F32Tensor(data, offset, 1, length, length);
    }

    @Override
    public DType type() {
        return DType.F32;
    }

    /** A view of the whole {@link #data()} array; rows start at {@link #rowOffset}. */
    @Override
    public MemorySegment bytes() {
        return MemorySegment.ofArray(data);
    }

    @Override
    public long rowOffset(int r) {
        return (offset + (long) r * rowStride) * Float.BYTES;
    }

    @Override
    public void dequantizeRow(int r, float[] out, int oo) {
        if (r < 0 || r >= rows) throw new IndexOutOfBoundsException("row " + r + " of a tensor with " + rows + " rows");
        System.arraycopy(data, offset + r * rowStride, out, oo, cols);
    }

    @Override
    public F32Tensor rows(int from, int to) {
        if (from < 0 || to > rows || from > to) throw new IndexOutOfBoundsException("rows " + from + ".." + to + " of " + rows);
        return new F32Tensor(data, offset + from * rowStride, to - from, cols, rowStride);
    }

    public float get(int row, int col) {
        return data[offset + row * rowStride + col];
    }
}
