package dev.rill.gguf;

import dev.rill.io.AtomicFiles;
import dev.rill.spi.Tensor.DType;
import dev.rill.spi.BlockFormats;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes GGUF files (v3 by default): metadata of any type, then tensors whose bytes are produced
 * one tensor at a time when the file is written, so a large model never sits whole on the heap.
 * The file is written atomically.
 */
public final class GgufWriter {

    private record Kv(GgufValueType type, Object value) {
    }

    private record PendingTensor(String name, long[] dims, int typeId, long bytes, Supplier<byte[]> data) {
    }

    private final int version;
    private final Map<String, Kv> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    public GgufWriter() {
        this(3);
    }

    public GgufWriter(int version) {
        if (version != 2 && version != 3) throw new IllegalArgumentException("GGUF version " + version + " (supported: 2, 3)");
        this.version = version;
    }

    /** Adds a value; {@code value} is a Number, Boolean, String, or for ARRAY a {@link GgufArray}. */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        if (key.equals("general.alignment")) alignment = ((Number) value).intValue();
        metadata.put(key, new Kv(type, value));
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, value);
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValueType.INT32, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValueType.BOOL, value);
    }

    public GgufWriter putArray(String key, GgufValueType elementType, List<?> values) {
        return put(key, GgufValueType.ARRAY, new GgufArray(elementType, new ArrayList<>(values)));
    }

    /**
     * Adds a tensor of GGML type id {@code typeId} whose {@code bytes} bytes come from {@code data}
     * when the file is written. {@code dims} innermost first, as GGUF stores them.
     */
    public GgufWriter addRaw(String name, long[] dims, int typeId, long bytes, Supplier<byte[]> data) {
        tensors.add(new PendingTensor(name, dims.clone(), typeId, bytes, data));
        return this;
    }

    /** Adds a {@code rows × cols} matrix (a vector when {@code rows == 1} and {@code vector}) encoded as {@code type}. */
    public GgufWriter addTensor(String name, DType type, int rows, int cols, Supplier<float[]> values) {
        long[] dims = rows == 1 ? new long[]{cols} : new long[]{cols, rows};
        return addRaw(name, dims, GgmlType.of(type).id, rows * BlockFormats.rowBytes(type, cols), () -> {
            float[] v = values.get();
            if (v.length != (long) rows * cols) throw new IllegalArgumentException(name + ": " + v.length + " values for " + rows + "x" + cols);
            return BlockFormats.quantize(type, v, 0, v.length);
        });
    }

    public GgufWriter addTensor(String name, DType type, int rows, int cols, float[] values) {
        return addTensor(name, type, rows, cols, () -> values);
    }

    public void write(Path file) throws IOException {
        AtomicFiles.write(file, this::write);
    }

    /** The whole file as bytes (small files, tests). */
    public byte[] toBytes() throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        write(out);
        return out.toByteArray();
    }

    /**
     * The bytes before the tensor data: header, metadata, tensor infos and padding. Tensor
     * {@code i} then starts at {@code header().length + offset(i)}.
     */
    public byte[] header() throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        writeHeader(new Counting(out));
        return out.toByteArray();
    }

    /** Offset of tensor {@code index} (in the order added) from the start of the data. */
    public long offset(int index) {
        long offset = 0;
        for (int i = 0; i < index; i++) offset = align(offset + tensors.get(i).bytes());
        return offset;
    }

    private void write(OutputStream out) throws IOException {
        Counting o = new Counting(out);
        writeHeader(o);
        long start = o.count;
        for (PendingTensor t : tensors) {
            byte[] bytes = t.data().get();
            if (bytes.length != t.bytes()) throw new IllegalStateException(t.name() + ": " + bytes.length + " bytes, expected " + t.bytes());
            o.write(bytes);
            o.pad(align(o.count - start) - (o.count - start));
        }
    }

    private void writeHeader(Counting o) throws IOException {
        o.i32(GgufFile.MAGIC);
        o.i32(version);
        o.i64(tensors.size());
        o.i64(metadata.size());
        for (var e : metadata.entrySet()) {
            o.string(e.getKey());
            o.i32(e.getValue().type().id);
            value(o, e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (PendingTensor t : tensors) {
            o.string(t.name());
            o.i32(t.dims().length);
            for (long d : t.dims()) o.i64(d);
            o.i32(t.typeId());
            o.i64(offset);
            offset = align(offset + t.bytes());
        }
        o.pad(align(o.count) - o.count);
    }

    private long align(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static void value(Counting o, GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> o.write(new byte[]{((Number) v).byteValue()});
            case UINT16, INT16 -> o.i16(((Number) v).shortValue());
            case UINT32, INT32 -> o.i32(((Number) v).intValue());
            case FLOAT32 -> o.i32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case BOOL -> o.write(new byte[]{(byte) ((Boolean) v ? 1 : 0)});
            case STRING -> o.string((String) v);
            case UINT64, INT64 -> o.i64(((Number) v).longValue());
            case FLOAT64 -> o.i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case ARRAY -> {
                GgufArray a = (GgufArray) v;
                o.i32(a.elementType().id);
                o.i64(a.size());
                for (Object e : a.values()) value(o, a.elementType(), e);
            }
        }
    }

    /** Little-endian output that counts its bytes. */
    private static final class Counting {
        final OutputStream out;
        final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long count;

        Counting(OutputStream out) {
            this.out = out;
        }

        void write(byte[] b) throws IOException {
            out.write(b);
            count += b.length;
        }

        void i16(short v) throws IOException {
            buf.clear();
            buf.putShort(v);
            out.write(buf.array(), 0, 2);
            count += 2;
        }

        void i32(int v) throws IOException {
            buf.clear();
            buf.putInt(v);
            out.write(buf.array(), 0, 4);
            count += 4;
        }

        void i64(long v) throws IOException {
            buf.clear();
            buf.putLong(v);
            out.write(buf.array(), 0, 8);
            count += 8;
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            write(b);
        }

        void pad(long n) throws IOException {
            for (long i = 0; i < n; i++) out.write(0);
            count += n;
        }
    }
}
