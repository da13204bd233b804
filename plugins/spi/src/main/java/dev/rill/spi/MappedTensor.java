package dev.rill.spi;

import java.lang.foreign.MemorySegment;

/**
 * A {@code rows × cols} matrix in one of GGML's storage types (F32, F16, BF16 or a block
 * quantization), kept in a {@link MemorySegment}: usually a slice of a memory-mapped GGUF file, so
 * its bytes are never copied to the heap. Each row is {@link BlockFormats#rowBytes} bytes, blocks
 * running along {@code cols}, rows back to back.
 */
public record MappedTensor(DType type, int rows, int cols, MemorySegment data) implements Tensor {

    public MappedTensor {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("bad tensor shape " + rows + "x" + cols);
        if (cols % BlockFormats.blockSize(type) != 0) {
            throw new IllegalArgumentException(type + " rows must be a multiple of " + BlockFormats.blockSize(type) + " elements, not " + cols);
        }
        long need = (long) rows * BlockFormats.rowBytes(type, cols);
        if (data.byteSize() != need) {
            throw new IllegalArgumentException(type + " tensor " + rows + "x" + cols + " needs " + need + " bytes, got " + data.byteSize());
        }
    }

    @Override
    public MemorySegment bytes() {
        return data;
    }

    @Override
    public long rowOffset(int r) {
        return r * rowBytes();
    }

    @Override
    public MappedTensor rows(int from, int to) {
        if (from < 0 || to > rows || from >= to) throw new IndexOutOfBoundsException("rows " + from + ".." + to + " of " + rows);
        return new MappedTensor(type, to - from, cols, data.asSlice(from * rowBytes(), (to - from) * rowBytes()));
    }
}
