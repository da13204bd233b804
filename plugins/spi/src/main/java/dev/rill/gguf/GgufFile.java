package dev.rill.gguf;

import dev.rill.spi.MappedTensor;
import dev.rill.spi.ModelFile;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleConsumer;

/**
 * A GGUF file (version 2 or 3, little-endian), memory-mapped whole with {@code java.lang.foreign}:
 * the header, metadata and tensor infos are parsed at open, tensor data stays in the mapping and is
 * handed out as {@link MappedTensor} slices, so weights are paged in by the OS as they are used and
 * files past 2 GB work. Every read is bounds-checked: a truncated or corrupt file gives a
 * {@link GgufException} naming the offset and what was being read, never a crash.
 *
 * <p>Layout: magic {@code GGUF}, uint32 version, uint64 tensor count, uint64 metadata count, the
 * metadata key/values, the tensor infos (name, dims innermost first, type, offset), padding to
 * {@code general.alignment} (default 32), then the tensor data, each tensor at its offset from there.
 */
public final class GgufFile implements ModelFile, AutoCloseable {

    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One tensor's entry: {@code dims[0]} is the innermost (contiguous) dimension. */
    public record TensorInfo(String name, long[] dims, int typeId, GgmlType type, long offset) {

        public long elements() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        /** Bytes of its data, or -1 for a type whose block size is unknown. */
        public long byteSize() {
            return type == null ? -1 : type.bytes(elements());
        }

        public String typeName() {
            return type != null ? type.name() : "unknown type " + typeId;
        }

        public String shape() {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < dims.length; i++) b.append(i > 0 ? ", " : "").append(dims[i]);
            return b.append(']').toString();
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> metadataTypes;
    private final Map<String, TensorInfo> tensors;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Reader r = new Reader(file, path);
        int magic = r.i32("magic");
        if (magic != MAGIC) {
            throw new GgufException(path + " is not a GGUF file (it starts with bytes "
                    + String.format("%08x", Integer.reverseBytes(magic)) + ", not 'GGUF')");
        }
        int v = r.i32("version");
        if (v == 1) throw new GgufException(path + " is GGUF version 1, which Rill does not read (supported: 2, 3); convert the model again with a current llama.cpp");
        if (v != 2 && v != 3) {
            if (Integer.reverseBytes(v) == 2 || Integer.reverseBytes(v) == 3) {
                throw new GgufException(path + " is a big-endian GGUF file; Rill reads little-endian GGUF only");
            }
            throw new GgufException(path + " has GGUF version " + Integer.toUnsignedString(v) + "; supported: 2, 3");
        }
        this.version = v;
        long nTensors = r.count("tensor count", 8 + 4 + 4 + 8 + 8);
        long nKv = r.count("metadata count", 8 + 4);
        Map<String, Object> meta = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = r.string("metadata key #" + i);
            GgufValueType type = r.valueType("type of metadata '" + key + "'");
            Object value = r.value(type, "metadata '" + key + "'", 0);
            if (meta.put(key, value) != null) throw new GgufException(path + ": metadata key '" + key + "' appears twice");
            types.put(key, type);
        }
        this.metadata = Collections.unmodifiableMap(meta);
        this.metadataTypes = Collections.unmodifiableMap(types);
        Object align = meta.get("general.alignment");
        if (align == null) {
            alignment = DEFAULT_ALIGNMENT;
        } else {
            long a = align instanceof Number n ? n.longValue() : -1;
            if (a <= 0 || a > (1 << 20) || Long.bitCount(a) != 1) {
                throw new GgufException(path + ": general.alignment is " + align + "; it must be a power of two");
            }
            alignment = (int) a;
        }
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        for (long i = 0; i < nTensors; i++) {
            String name = r.string("name of tensor #" + i);
            int nDims = r.i32("dimension count of tensor '" + name + "'");
            if (nDims < 1 || nDims > MAX_DIMS) throw new GgufException(path + ": tensor '" + name + "' has " + nDims + " dimensions (1 to " + MAX_DIMS + " allowed)");
            long[] dims = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                dims[d] = r.i64("dimension " + d + " of tensor '" + name + "'");
                if (dims[d] <= 0) throw new GgufException(path + ": tensor '" + name + "' has dimension " + Long.toUnsignedString(dims[d]));
                try {
                    elements = Math.multiplyExact(elements, dims[d]);
                } catch (ArithmeticException e) {
                    throw new GgufException(path + ": tensor '" + name + "' has an impossible size");
                }
            }
            int typeId = r.i32("type of tensor '" + name + "'");
            GgmlType type = GgmlType.byId(typeId);
            long offset = r.i64("data offset of tensor '" + name + "'");
            if (type != null && dims[0] % type.blockSize != 0) {
                throw new GgufException(path + ": tensor '" + name + "' has rows of " + dims[0] + " elements, not a multiple of "
                        + type + "'s block of " + type.blockSize);
            }
            if (offset < 0 || offset % alignment != 0) {
                throw new GgufException(path + ": tensor '" + name + "' has data offset " + Long.toUnsignedString(offset)
                        + ", not a multiple of the alignment " + alignment);
            }
            if (infos.put(name, new TensorInfo(name, dims, typeId, type, offset)) != null) {
                throw new GgufException(path + ": tensor '" + name + "' appears twice");
            }
        }
        this.tensors = Collections.unmodifiableMap(infos);
        long start = (r.pos + alignment - 1) / alignment * alignment;
        this.dataOffset = start;
        for (TensorInfo t : infos.values()) {
            long size = t.byteSize();
            if (size < 0) continue; // unknown type: never handed out, so its extent does not matter
            if (start + t.offset() > file.byteSize() || size > file.byteSize() - start - t.offset()) {
                throw new GgufException(path + " is truncated: tensor '" + t.name() + "' (" + t.typeName() + " " + t.shape()
                        + ") needs bytes " + (start + t.offset()) + " to " + (start + t.offset() + size)
                        + " but the file has " + file.byteSize());
            }
        }
    }

    /**
     * Opens and maps {@code path}.
     *
     * @throws IOException   when it cannot be read
     * @throws GgufException when it is not a valid GGUF v2/v3 file
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 24) throw new GgufException(path + " is too short to be a GGUF file (" + size + " bytes)");
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new GgufFile(path, arena, seg);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** Byte offset in the file where tensor data starts. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return file.byteSize();
    }

    /**
     * Reads the tensor data from disk now, in 64 MiB pieces, telling {@code progress} the fraction
     * read, so that a large model's loading shows how far it has come and the first token does not
     * wait for the disk. A file that would not fit in three quarters of the memory is left to be
     * paged in as it is used (reading it all would only push its own first pages out again).
     */
    public void readTensorData(DoubleConsumer progress) {
        readTensorData(progress, 64L << 20);
    }

    void readTensorData(DoubleConsumer progress, long piece) {
        long n = file.byteSize() - dataOffset;
        if (n > 0 && n < 0.75 * physicalMemory()) {
            for (long done = 0; done < n; ) {
                long length = Math.min(piece, n - done);
                file.asSlice(dataOffset + done, length).load();
                done += length;
                progress.accept((double) done / n);
            }
        }
        progress.accept(1);
    }

    private static long physicalMemory() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : Long.MAX_VALUE;
    }

    /** All metadata, in file order. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    public GgufValueType metadataType(String key) {
        return metadataTypes.get(key);
    }

    /** All tensor infos, in file order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public String getString(String key) {
        return require(key, String.class);
    }

    public String getString(String key, String orElse) {
        return metadata.containsKey(key) ? getString(key) : orElse;
    }

    public long getLong(String key) {
        Object v = metadata.get(key);
        if (v instanceof Integer || v instanceof Long) return ((Number) v).longValue();
        throw wrongType(key, v, "an integer");
    }

    public long getLong(String key, long orElse) {
        return metadata.containsKey(key) ? getLong(key) : orElse;
    }

    /** An integer value that must fit an int and be at least {@code min}. */
    public int getInt(String key, int min) {
        long v = getLong(key);
        if (v < min || v > Integer.MAX_VALUE) throw new GgufException(path + ": metadata '" + key + "' is " + v + "; expected " + min + " to " + Integer.MAX_VALUE);
        return (int) v;
    }

    public int getInt(String key, int min, int orElse) {
        return metadata.containsKey(key) ? getInt(key, min) : orElse;
    }

    public double getDouble(String key) {
        Object v = metadata.get(key);
        if (v instanceof Number n) return n.doubleValue();
        throw wrongType(key, v, "a number");
    }

    public double getDouble(String key, double orElse) {
        return metadata.containsKey(key) ? getDouble(key) : orElse;
    }

    public boolean getBool(String key, boolean orElse) {
        return metadata.containsKey(key) ? require(key, Boolean.class) : orElse;
    }

    public GgufArray getArray(String key) {
        return require(key, GgufArray.class);
    }

    public List<String> getStrings(String key) {
        GgufArray a = getArray(key);
        if (a.elementType() != GgufValueType.STRING) throw wrongType(key, a.elementType(), "an array of strings");
        List<String> out = new ArrayList<>(a.size());
        for (Object o : a.values()) out.add((String) o);
        return out;
    }

    public float[] getFloats(String key) {
        GgufArray a = getArray(key);
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(a.values().get(i) instanceof Number n)) throw wrongType(key, a.elementType(), "an array of numbers");
            out[i] = n.floatValue();
        }
        return out;
    }

    public int[] getInts(String key) {
        GgufArray a = getArray(key);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            Object o = a.values().get(i);
            if (!(o instanceof Integer || o instanceof Long)) throw wrongType(key, a.elementType(), "an array of integers");
            out[i] = ((Number) o).intValue();
        }
        return out;
    }

    private <T> T require(String key, Class<T> type) {
        Object v = metadata.get(key);
        if (v == null) throw new GgufException(path + " has no metadata '" + key + "'");
        if (!type.isInstance(v)) throw wrongType(key, v, type.getSimpleName());
        return type.cast(v);
    }

    private GgufException wrongType(String key, Object v, String expected) {
        if (v == null) return new GgufException(path + " has no metadata '" + key + "'");
        return new GgufException(path + ": metadata '" + key + "' is " + metadataTypes.get(key) + " " + abbreviate(v) + "; expected " + expected);
    }

    private static String abbreviate(Object v) {
        String s = String.valueOf(v);
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    /** The tensor's info, or {@code null}. */
    public TensorInfo info(String name) {
        return tensors.get(name);
    }

    @Override
    public boolean isArray(String key) {
        return metadataTypes.get(key) == GgufValueType.ARRAY;
    }

    @Override
    public Set<String> tensorNames() {
        return tensors.keySet();
    }

    @Override
    public long[] tensorDims(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new GgufException(path + " has no tensor '" + name + "'");
        return t.dims().clone();
    }

    @Override
    public GgufException error(String message) {
        return new GgufException(path + ": " + message);
    }

    /**
     * The tensor as a 2-D matrix over the mapped file: {@code cols = dims[0]}, {@code rows} the
     * product of the other dimensions.
     *
     * @throws GgufException when it is missing or of a type Rill cannot compute with
     */
    public MappedTensor tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new GgufException(path + " has no tensor '" + name + "'");
        if (t.type() == null || !t.type().supported()) {
            throw new GgufException(path + ": tensor '" + name + "' is of type " + t.typeName()
                    + ", which Rill cannot compute with; supported: " + GgmlType.supportedNames());
        }
        long cols = t.dims()[0], rows = t.elements() / cols;
        if (cols > Integer.MAX_VALUE || rows > Integer.MAX_VALUE) throw new GgufException(path + ": tensor '" + name + "' " + t.shape() + " is too large");
        MemorySegment data = file.asSlice(dataOffset + t.offset(), t.byteSize());
        return new MappedTensor(t.type().dtype, (int) rows, (int) cols, data);
    }

    /** Unmaps the file; tensors handed out can no longer be read (reads fail with IllegalStateException). */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    /** Bounds-checked little-endian reads over the header. */
    private static final class Reader {
        private final MemorySegment seg;
        private final Path path;
        long pos;

        Reader(MemorySegment seg, Path path) {
            this.seg = seg;
            this.path = path;
        }

        private void need(long n, String what) {
            if (n < 0 || n > seg.byteSize() - pos) {
                throw new GgufException(path + " is truncated or corrupt: reading " + what + " at byte " + pos
                        + " needs " + (n < 0 ? Long.toUnsignedString(n) : n) + " bytes, but the file ends at " + seg.byteSize());
            }
        }

        int i32(String what) {
            need(4, what);
            int v = seg.get(I32, pos);
            pos += 4;
            return v;
        }

        long i64(String what) {
            need(8, what);
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        /** A count of items that each take at least {@code minItemBytes}: must fit in what is left. */
        long count(String what, long minItemBytes) {
            long n = i64(what);
            if (n < 0 || n > (seg.byteSize() - pos) / minItemBytes) {
                throw new GgufException(path + " is corrupt: its " + what + " is " + Long.toUnsignedString(n)
                        + ", more than the " + (seg.byteSize() - pos) + " remaining bytes can hold");
            }
            return n;
        }

        String string(String what) {
            long len = i64("length of " + what);
            need(len, what);
            if (len > Integer.MAX_VALUE - 16) throw new GgufException(path + ": " + what + " is too long (" + len + " bytes)");
            byte[] bytes = new byte[(int) len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, bytes, 0, (int) len);
            pos += len;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                // Token pieces may hold partial UTF-8 (byte-level vocabularies do not, SentencePiece's do not, but be lenient).
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }

        GgufValueType valueType(String what) {
            int id = i32(what);
            GgufValueType t = GgufValueType.byId(id);
            if (t == null) throw new GgufException(path + " is corrupt: " + what + " is " + Integer.toUnsignedString(id) + " at byte " + (pos - 4) + ", not a GGUF value type (0 to 12)");
            return t;
        }

        Object value(GgufValueType type, String what, int depth) {
            return switch (type) {
                case UINT8 -> {
                    need(1, what);
                    yield Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, pos++));
                }
                case INT8 -> {
                    need(1, what);
                    yield (int) seg.get(ValueLayout.JAVA_BYTE, pos++);
                }
                case UINT16 -> {
                    need(2, what);
                    int v = Short.toUnsignedInt(seg.get(I16, pos));
                    pos += 2;
                    yield v;
                }
                case INT16 -> {
                    need(2, what);
                    int v = seg.get(I16, pos);
                    pos += 2;
                    yield v;
                }
                case UINT32 -> Integer.toUnsignedLong(i32(what));
                case INT32 -> i32(what);
                case FLOAT32 -> Float.intBitsToFloat(i32(what));
                case BOOL -> {
                    need(1, what);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                    if (b != 0 && b != 1) throw new GgufException(path + " is corrupt: " + what + " is a bool of value " + b);
                    yield b == 1;
                }
                case STRING -> string(what);
                case UINT64, INT64 -> i64(what);
                case FLOAT64 -> Double.longBitsToDouble(i64(what));
                case ARRAY -> {
                    if (depth > 4) throw new GgufException(path + " is corrupt: " + what + " nests arrays too deep");
                    GgufValueType elem = valueType("element type of " + what);
                    long n = count("length of " + what, elem.minBytes);
                    if (n > Integer.MAX_VALUE - 16) throw new GgufException(path + ": " + what + " is too long");
                    List<Object> values = new ArrayList<>((int) n);
                    for (long i = 0; i < n; i++) values.add(value(elem, what, depth + 1));
                    yield new GgufArray(elem, Collections.unmodifiableList(values));
                }
            };
        }
    }
}
